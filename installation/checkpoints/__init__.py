"""Loading StyleGAN2 generators from the checkpoint files artists bring, without running their code."""

from installation.checkpoints.build import load_generator
from installation.checkpoints.checkpoint import Checkpoint
from installation.checkpoints.load import load_checkpoint

__all__ = ["Checkpoint", "load_checkpoint", "load_generator"]
