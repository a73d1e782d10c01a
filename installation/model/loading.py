"""One way to get a generator: the embedded default or any checkpoint file, on a chosen device."""

from __future__ import annotations

import torch

from installation.errors import UserError
from installation.model.generator import Generator

DEFAULT_MODEL = "default"


def pick_device(name: str = "auto") -> torch.device:
    """'auto' takes CUDA when torch sees a GPU; asking for CUDA without one is a user error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise UserError("--device cuda asked for, but this torch build sees no CUDA GPU (use --device cpu)")
    if name not in ("cpu",) and not name.startswith("cuda"):
        raise UserError(f"unknown device {name!r}: use auto, cpu or cuda")
    return torch.device(name)


def load_model(model: str | None, device: torch.device | str = "cpu") -> Generator:
    """`model` is a checkpoint path, or None / 'default' for the embedded default model."""
    if model in (None, "", DEFAULT_MODEL):
        from installation.model.default import default_generator

        return default_generator(device)
    from installation.checkpoints import load_generator

    return load_generator(model, device=device)
