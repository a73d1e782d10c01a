"""What a generator is made of, read off its tensors so that forks with odd channel counts load."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import torch

from installation.errors import CheckpointError
from installation.model.ops import fir_filter_2d
from installation.tiles import TileLayout

ARCHITECTURES = ("skip", "orig", "resnet")
Filter = tuple[tuple[float, ...], ...]
DEFAULT_RESAMPLE_FILTER: Filter = tuple(tuple(row) for row in fir_filter_2d(dtype=torch.float64).tolist())


@dataclass(frozen=True)
class GeneratorConfig:
    """Sizes and options of a StyleGAN2 generator.

    Tensor names follow NVIDIA's stylegan2-ada-pytorch `G_ema.state_dict()`; every loader converts
    to those names, and `from_state_dict` derives the sizes from the shapes.
    """

    z_dim: int
    w_dim: int
    c_dim: int
    img_resolution: int
    img_channels: int
    mapping_layers: int
    mapping_features: tuple[int, ...]  # in/out widths: (z+embed, hidden..., w)
    channels: dict[int, int]  # block resolution -> channels
    init_size: tuple[int, int] = (4, 4)  # the const's (h, w); non-square in Autolume-style forks
    architecture: str = "skip"
    conv_clamp: float | None = None
    num_fp16_res: int = 0
    use_noise: bool = True
    mapping_lr_multiplier: float = 0.01
    mapping_activation: str = "lrelu"
    embed_features: int = 0
    resample_filter: Filter = DEFAULT_RESAMPLE_FILTER  # 2-D up-sampling filter, as NVIDIA stores it
    tile: TileLayout | None = None  # one tile of the init_size canvas (installation/tiles.py)
    extra: dict = field(default_factory=dict, compare=False)  # provenance for `inspect`

    @property
    def block_resolutions(self) -> list[int]:
        return sorted(self.channels)

    @property
    def num_ws(self) -> int:
        # Every block but the first has two convs; the last ToRGB reads one more w.
        return 2 * len(self.channels)

    @property
    def fp16_resolutions(self) -> list[int]:
        return self.block_resolutions[-self.num_fp16_res :] if self.num_fp16_res else []

    def ws_index(self, res: int) -> int:
        """Index of the first w that the block at `res` reads."""
        return 0 if res == 4 else 2 * int(math.log2(res)) - 5

    @classmethod
    def from_state_dict(
        cls,
        state: dict[str, torch.Tensor],
        *,
        architecture: str = "skip",
        conv_clamp: float | None = None,
        num_fp16_res: int = 0,
        mapping_lr_multiplier: float = 0.01,
        mapping_activation: str = "lrelu",
        resample_filter: Any = DEFAULT_RESAMPLE_FILTER,
        extra: dict | None = None,
    ) -> "GeneratorConfig":
        if architecture not in ARCHITECTURES:
            raise CheckpointError(f"unknown synthesis architecture {architecture!r}")
        resample_filter = checked_filter(resample_filter)
        mapping = mapping_sizes(state)
        blocks = sorted(
            int(m.group(1)) for k in state if (m := re.fullmatch(r"synthesis\.b(\d+)\.conv1\.weight", k))
        )
        if not blocks or blocks[0] != 4:
            raise CheckpointError("no synthesis network (synthesis.b4.conv1.weight ...) in the generator")
        expected = [4 * 2**i for i in range(len(blocks))]
        if blocks != expected:
            raise CheckpointError(f"synthesis blocks {blocks} are not a doubling sequence from 4")
        channels = {r: int(state[f"synthesis.b{r}.conv1.weight"].shape[0]) for r in blocks}
        const = state["synthesis.b4.const"]
        last = blocks[-1]
        rgb_key = f"synthesis.b{last}.torgb.weight"
        if rgb_key not in state:
            raise CheckpointError(f"missing {rgb_key}")
        return cls(
            **mapping,
            img_resolution=last,
            img_channels=int(state[rgb_key].shape[0]),
            channels=channels,
            init_size=(int(const.shape[1]), int(const.shape[2])),
            architecture=architecture,
            conv_clamp=None if conv_clamp is None else float(conv_clamp),
            num_fp16_res=int(num_fp16_res),
            use_noise="synthesis.b4.conv1.noise_strength" in state,
            mapping_lr_multiplier=float(mapping_lr_multiplier),
            mapping_activation=mapping_activation,
            resample_filter=resample_filter,
            extra=dict(extra or {}),
        )


def mapping_sizes(state: dict[str, torch.Tensor]) -> dict[str, int | tuple[int, ...]]:
    """The mapping network's sizes read off its tensors (the same in StyleGAN2 and StyleGAN3):
    z_dim, w_dim, c_dim, mapping_layers, mapping_features, embed_features."""
    fc = sorted(int(m.group(1)) for k in state if (m := re.fullmatch(r"mapping\.fc(\d+)\.weight", k)))
    if not fc or fc != list(range(len(fc))):
        raise CheckpointError("no mapping network (mapping.fc0.weight ...) in the generator")
    widths = [state["mapping.fc0.weight"].shape[1]]
    widths += [state[f"mapping.fc{i}.weight"].shape[0] for i in fc]
    embed = state.get("mapping.embed.weight")
    embed_features = int(embed.shape[0]) if embed is not None else 0
    return {
        "z_dim": int(widths[0] - embed_features),
        "w_dim": int(widths[-1]),
        "c_dim": int(embed.shape[1]) if embed is not None else 0,
        "mapping_layers": len(fc),
        "mapping_features": tuple(int(x) for x in widths),
        "embed_features": embed_features,
    }


def checked_filter(values: Any) -> Filter:
    """A resample filter from a file (tensor, array or nested numbers) as a 2-D tuple: 1-D taps
    become their outer product (NVIDIA's separable form); CheckpointError unless it is at least
    2x2, finite and sums to non-zero."""
    try:
        kernel = torch.as_tensor(values, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError):
        raise CheckpointError(f"resample filter {values!r:.60} is not an array of numbers") from None
    if kernel.ndim == 1:
        kernel = torch.outer(kernel, kernel)
    if kernel.ndim != 2 or min(kernel.shape) < 2 or not bool(torch.isfinite(kernel).all()):
        raise CheckpointError(f"resample filter of shape {list(kernel.shape)} is not a 2-D filter of 2+ taps")
    if abs(float(kernel.sum())) < 1e-8:
        raise CheckpointError("resample filter sums to zero: it would black out every up-sampled image")
    return tuple(tuple(row) for row in kernel.tolist())
