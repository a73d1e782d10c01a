"""installation: a live StyleGAN2 art engine."""

__version__ = "0.1.0"
