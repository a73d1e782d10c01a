"""installation: a live StyleGAN2 art engine."""

import warnings

__version__ = "0.1.0"

# pygame 2.6 imports setuptools' pkg_resources, which warns on every start with setuptools 80 or
# later: a line about pygame's packaging in front of our one-line errors, nothing a user can act on.
warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
