"""The StyleGAN2 generator in plain PyTorch (no compiled extensions)."""

from installation.model.config import GeneratorConfig
from installation.model.generator import Generator

__all__ = ["Generator", "GeneratorConfig"]
