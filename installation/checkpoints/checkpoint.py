"""What every format loader produces: NVIDIA-named generator tensors plus the options tensors can't carry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from installation.errors import CheckpointError

SUPPORTED = (
    "supported: StyleGAN2 generators in NVlabs network pickles (stylegan2-ada-pytorch, the stylegan3 "
    "repo's StyleGAN2 configs, Autolume, TensorFlow StyleGAN2 / StyleGAN2-ADA), StyleGAN3 (configs T "
    "and R) in NVlabs network pickles, rosinality stylegan2-pytorch .pt files, and mixes written "
    "by `run.py mix`"
)


@dataclass
class Checkpoint:
    """A generator read from a file.

    `state` uses NVIDIA stylegan2-ada-pytorch `G_ema.state_dict()` names (float32, contiguous, CPU;
    no `resample_filter`); `mapping.w_avg` is absent when the file has none. `hints` are the
    keyword arguments for `GeneratorConfig.from_state_dict`.
    """

    format: str
    state: dict[str, torch.Tensor]
    hints: dict[str, Any]
    description: str
    family: str = "stylegan2"  # or "stylegan3": hints are then for `StyleGAN3Config.from_state_dict`
    init_kwargs: dict | None = None  # an NVlabs pickle's constructor arguments, as plain data


def unsupported(what: str) -> CheckpointError:
    """A recognised file we cannot render, saying what it is and what would work."""
    return CheckpointError(f"{what}, which is not supported; {SUPPORTED}")


def single_filter(filters: dict[str, torch.Tensor], what: str) -> torch.Tensor:
    """The one resample filter that every named copy in a file holds; a generator whose layers
    disagree is refused (`what` names the file kind in the message)."""
    (first_name, first), *rest = filters.items()
    for name, value in rest:
        if value.shape != first.shape or not torch.allclose(value, first, rtol=0, atol=1e-7):
            raise unsupported(f"{what} whose resample filters differ ({first_name} and {name})")
    return first


def as_float32(value: Any, name: str) -> torch.Tensor:
    """A tensor or numpy array as a float32, contiguous CPU tensor that owns its memory."""
    if isinstance(value, np.ndarray | np.generic):
        # A C-ordered copy: TF conversions hand over transposed and flipped views (and 0-d scalars).
        value = torch.from_numpy(np.array(value, dtype=np.float32, order="C"))
    if not isinstance(value, torch.Tensor):
        raise CheckpointError(f"{name} is a {type(value).__name__}, not a tensor")
    if not value.dtype.is_floating_point:
        raise CheckpointError(f"{name} holds {value.dtype}, not floating-point weights")
    # clone: tensors from a file may be views into one shared storage, or channels-last.
    return value.detach().to(device="cpu", dtype=torch.float32).contiguous().clone()
