"""The interface every render backend implements."""

from __future__ import annotations

from abc import ABC, abstractmethod

import torch


class Backend(ABC):
    """Turns a batch of ws into images.

    `render(ws, stop_res, noise_mode, noise_gain, noise)` takes ws [B, num_ws, w_dim] (float32,
    any device) and returns float32 images [B, C, H, W] on the backend's device, H = W = stop_res
    (or the model's full resolution). `noise_gain` is a float or a [B] tensor scaling the noise;
    `noise`, when given, holds per-layer noise fields ({'b64.conv0': [B, 1, H, W], ...}) that
    replace the constant noise, as the synthesis network's `noise` argument.
    """

    name: str = "abstract"

    def __init__(self, G, device: torch.device, precision: str) -> None:
        self.G = G
        self.device = torch.device(device)
        self.precision = precision

    @property
    def resolutions(self) -> list[int]:
        """The resolutions `render` can stop at (only the full one for non-'skip' models)."""
        cfg = self.G.config
        return cfg.block_resolutions if cfg.architecture == "skip" else [cfg.img_resolution]

    @abstractmethod
    def render(
        self,
        ws: torch.Tensor,
        *,
        stop_res: int | None = None,
        noise_mode: str = "const",
        noise_gain: torch.Tensor | float = 1.0,
        noise: dict[str, torch.Tensor] | None = None,
    ) -> torch.Tensor: ...

    def prepare(self, stop_res: int | None = None, batch: int = 1, bends: tuple = (), mix=None) -> bool:
        """Get ready to render this shape at full speed, waiting for any build it needs.
        False when it will render more slowly than it could (a build failed). `bends`: a bend
        declaration's layouts (`BendPlan.layouts`): get ready for bent frames of that shape;
        `mix`: a `ModelMorph`, for its frames."""
        return True

    def ready(self, stop_res: int | None = None, batch: int = 1, noise_fields: bool = False) -> bool:
        """Whether `render` of this shape runs at its full speed now. A backend that builds a
        graph per shape starts building one that is missing (in the background) and says
        False until it is there: until then it renders more slowly, and timings of it are not
        final."""
        return True

    def loading(self, stop_res: int | None = None, batch: int = 1, noise_fields: bool = False) -> bool:
        """Whether this shape's fast path is on its way from a build made before (a load: about
        a second), as opposed to a build (minutes) or nothing at all."""
        return False
