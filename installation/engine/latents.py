"""What the engine renders from: latents for given show times, from a source that says when it changed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import torch


@dataclass(frozen=True)
class Latents:
    """One batch of generator input: ws [B, num_ws, w_dim] and the per-pixel noise to use.

    `noise_gain` is a float or a [B] tensor (one gain per frame)."""

    ws: torch.Tensor
    noise_gain: torch.Tensor | float = 1.0
    noise_mode: str = "const"


class LatentSource(Protocol):
    """A pure function of show time, plus a version that changes whenever that function does.

    The engine renders ahead of the screen; a new `version()` tells it that frames already
    rendered for future times are stale (a parameter was written, the show was reloaded).
    Reading the version must be cheap: the engine reads it before every batch.
    """

    def version(self) -> int: ...

    def latents(self, times: Sequence[float]) -> Latents: ...
