"""Noise instructions for the generator, and the noise fields of the animated noise loop."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np

_NOISE_BUFFER = re.compile(r"synthesis\.(b\d+\.conv[01])\.noise_const")
_LAYER = re.compile(r"b(\d+)\.conv([01])")


@dataclass(frozen=True)
class NoiseSpec:
    """How to drive the per-pixel noise for a batch: `mode` const | random | loop, `strength`
    (the synthesis `noise_gain`), and for loop the `phase` [B] of each frame in [0, 1), to be
    turned into noise fields by `NoiseLoop.at`."""

    mode: str
    strength: float
    phase: np.ndarray


class NoiseLoop:
    """Per-layer unit noise moving around a closed loop: n(θ) = a·cos 2πθ + b·sin 2πθ.

    With a and b independent unit Gaussian fields every point of the loop is itself unit
    Gaussian noise, so the texture keeps its character while it flows and returns exactly.
    The a and b of all layers lie in one [2, N] tensor, smallest layers first, so the fields of
    every layer up to a block are one matrix product (one operation per batch, not two per
    layer).
    """

    def __init__(
        self,
        shapes: Mapping[str, tuple[int, int]],
        seed: int = 0,
        device="cpu",
        windows: Mapping[str, tuple[int, int, int, int]] | None = None,
    ) -> None:
        """`windows` (top, left, height, width) by layer: keep only those parts of the fields
        (a tile's, so that its noise is the whole canvas's there)."""
        import torch

        generator = torch.Generator().manual_seed(seed)
        fields = {name: torch.randn((2, 1, *shape), generator=generator) for name, shape in shapes.items()}
        for name, (top, left, height, width) in (windows or {}).items():
            fields[name] = fields[name][..., top : top + height, left : left + width]
        shapes = {name: tuple(field.shape[2:]) for name, field in fields.items()}
        order = sorted(fields, key=lambda name: shapes[name][0] * shapes[name][1])
        self._spans: dict[str, _Span] = {}
        start = 0
        for name in order:
            size = shapes[name][0] * shapes[name][1]
            self._spans[name] = _Span(start, start + size, tuple(shapes[name]))
            start += size
        self._flat = torch.cat([fields[name].reshape(2, -1) for name in order], dim=1).to(device)

    @classmethod
    def for_generator(cls, G, seed: int = 0) -> "NoiseLoop":
        """Fields shaped like G's noise buffers, on G's device; for a tile, the whole canvas's
        fields drawn and the tile's windows of them kept."""
        shapes, windows, device = {}, {}, "cpu"
        tile = getattr(G.config, "tile", None)
        for key, buffer in G.state_dict().items():
            if match := _NOISE_BUFFER.fullmatch(key):
                name, device = match.group(1), buffer.device
                shapes[name] = tuple(buffer.shape)
                if tile is not None:
                    res, conv = (int(n) for n in _LAYER.fullmatch(name).groups())
                    shapes[name] = tile.canvas_size(res)
                    windows[name] = tile.noise_window(res, conv)
        return cls(shapes, seed, device, windows)

    def at(self, phases: np.ndarray) -> LoopFields:
        """{'b64.conv0': Tensor [B, 1, H, W], ...}: the synthesis `noise` argument for a batch.
        Fields are computed when first read, up to the largest read, so a render that stops at
        an early block never pays for the large fields of the later ones."""
        import torch

        angle = 2 * np.pi * np.asarray(phases, dtype=np.float64)
        weights = torch.as_tensor(np.stack([np.cos(angle), np.sin(angle)], axis=1), dtype=self._flat.dtype)
        return LoopFields(self._flat, self._spans, weights.to(self._flat.device))


@dataclass(frozen=True)
class _Span:
    """Where one layer's noise lies in the flat [2, N] tensor, and its [H, W]."""

    start: int
    stop: int
    shape: tuple[int, int]


class LoopFields(Mapping):
    """The noise fields of one batch on the loop, by layer name: the [B, 2] cos/sin weights
    times the flat a and b, computed on first read for every layer up to the one read (views
    of one [B, n] product after that)."""

    def __init__(self, flat, spans: Mapping[str, _Span], weights) -> None:
        self._flat, self._spans, self._weights = flat, spans, weights
        self._made = None  # [B, n]: the fields of the first n values

    def __getitem__(self, name: str):
        span = self._spans[name]
        if self._made is None or self._made.shape[1] < span.stop:
            self._made = self._weights @ self._flat[:, : span.stop]
        batch = self._weights.shape[0]
        return self._made[:, span.start : span.stop].view(batch, 1, *span.shape)

    @property
    def made(self) -> list[str]:
        """The layers whose fields have been computed so far."""
        done = 0 if self._made is None else self._made.shape[1]
        return [name for name, span in self._spans.items() if span.stop <= done]

    def __contains__(self, name: object) -> bool:
        return name in self._spans  # without computing the field, as Mapping's own would

    def __iter__(self) -> Iterator[str]:
        return iter(self._spans)

    def __len__(self) -> int:
        return len(self._spans)
