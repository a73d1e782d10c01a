"""The layer view: one layer's activations shown instead of the picture.

Rendering stops at the chosen layer (a hook raises `LayerSeen` with its activations), so a view
of a coarse layer costs less than the picture. Pictures are [-1, 1] like the generator's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from installation.model.bends import BendHook

MODES = ("tiled", "channel", "pca")


class LayerSeen(Exception):  # noqa: N818 - not an error: how the hook ends synthesis at its layer
    def __init__(self, activations: torch.Tensor) -> None:
        super().__init__("layer reached")
        self.activations = activations


@dataclass(frozen=True)
class LayerView:
    layer: str
    mode: str = "tiled"
    channel: int = 0
    tiles: int = 16

    def hook(self, bend: BendHook | None) -> BendHook:
        """`bend` (if any) on every layer, then a stop at this view's layer."""

        def seen(name: str, x: torch.Tensor) -> torch.Tensor:
            if bend is not None:
                x = bend(name, x)
            if name == self.layer:
                raise LayerSeen(x)
            return x

        return seen

    def picture(self, x: torch.Tensor, size: tuple[int, int], img_channels: int = 3) -> torch.Tensor:
        """Activations [B, C, h, w] as images [B, img_channels, *size] in [-1, 1]."""
        x = x.to(torch.float32)
        if self.mode == "pca":
            rgb = _principal_components(x, 3)
        elif self.mode == "channel":
            rgb = _tile(x[:, self.channel % x.shape[1]][:, None], 1)
        else:
            first = self.channel % x.shape[1]
            picked = x[:, first : first + self.tiles]
            rgb = _tile(picked, self.tiles)
        rgb = F.interpolate(rgb, size=size, mode="nearest")
        if rgb.shape[1] == 1:
            rgb = rgb.expand(-1, img_channels, -1, -1)
        elif img_channels != 3:
            rgb = rgb.mean(1, keepdim=True).expand(-1, img_channels, -1, -1)
        return rgb.contiguous()


def _normalized(x: torch.Tensor) -> torch.Tensor:
    """Each image's values stretched to [-1, 1] (a flat one is 0)."""
    flat = x.flatten(1)
    low, high = flat.amin(1)[:, None, None, None], flat.amax(1)[:, None, None, None]
    return (2 * (x - low) / (high - low).clamp_min(1e-8) - 1) * (high > low)


def _tile(x: torch.Tensor, count: int) -> torch.Tensor:
    """Channels [B, C, h, w] laid side by side on a square grid, one grey picture per batch item."""
    b, c, h, w = x.shape
    side = math.ceil(math.sqrt(count))
    channels = _normalized(x.reshape(b * c, 1, h, w)).reshape(b, c, h, w)
    grid = x.new_full((b, side * side, h, w), -1.0)
    grid[:, :c] = channels
    grid = grid.reshape(b, side, side, h, w).permute(0, 1, 3, 2, 4).reshape(b, 1, side * h, side * w)
    return grid


def _principal_components(x: torch.Tensor, count: int) -> torch.Tensor:
    """The first `count` principal components over pixels of each image, as channels."""
    b, c, h, w = x.shape
    pixels = x.flatten(2).transpose(1, 2)  # [B, hw, C]
    centred = pixels - pixels.mean(1, keepdim=True)
    _, _, v = torch.linalg.svd(centred, full_matrices=False)  # v: [B, k, C]
    k = min(count, v.shape[1])
    components = (centred @ v[:, :k].transpose(1, 2)).transpose(1, 2).reshape(b, k, h, w)
    if k < count:
        components = torch.cat([components, components.new_zeros(b, count - k, h, w)], 1)
    return _normalized(components.reshape(b * count, 1, h, w)).reshape(b, count, h, w)
