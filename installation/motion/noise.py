"""Noise instructions for the generator, and the noise fields of the animated noise loop."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np

_NOISE_BUFFER = re.compile(r"synthesis\.(b\d+\.conv[01])\.noise_const")


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
    """

    def __init__(self, shapes: Mapping[str, tuple[int, int]], seed: int = 0, device="cpu") -> None:
        import torch

        generator = torch.Generator().manual_seed(seed)
        self._fields = {
            name: torch.randn((2, 1, *shape), generator=generator).to(device)
            for name, shape in shapes.items()
        }

    @classmethod
    def for_generator(cls, G, seed: int = 0) -> "NoiseLoop":
        """Fields shaped like G's noise buffers, on G's device."""
        shapes, device = {}, "cpu"
        for key, buffer in G.state_dict().items():
            if match := _NOISE_BUFFER.fullmatch(key):
                shapes[match.group(1)] = tuple(buffer.shape)
                device = buffer.device
        return cls(shapes, seed, device)

    def at(self, phases: np.ndarray) -> LoopFields:
        """{'b64.conv0': Tensor [B, 1, H, W], ...}: the synthesis `noise` argument for a batch.
        A field is computed when first read, so a render that stops at an early block never
        pays for the large fields of the later ones."""
        import torch

        if not self._fields:
            return LoopFields({}, None, None)
        some = next(iter(self._fields.values()))
        angle = 2 * np.pi * np.asarray(phases, dtype=np.float64)
        cos, sin = (
            torch.as_tensor(f(angle), dtype=some.dtype, device=some.device)[:, None, None, None]
            for f in (np.cos, np.sin)
        )
        return LoopFields(self._fields, cos, sin)


class LoopFields(Mapping):
    """The noise fields of one batch on the loop, by layer name: cos·a + sin·b, made on first
    read and kept (`cos`, `sin`: [B, 1, 1, 1]; `fields`: each layer's a and b as [2, 1, H, W])."""

    def __init__(self, fields: Mapping, cos, sin) -> None:
        self._fields, self._cos, self._sin = fields, cos, sin
        self._made: dict = {}

    def __getitem__(self, name: str):
        made = self._made.get(name)
        if made is None:
            pair = self._fields[name]
            made = self._made[name] = (self._cos * pair[0]).addcmul_(self._sin, pair[1])
        return made

    def __contains__(self, name: object) -> bool:
        return name in self._fields  # without making the field, as Mapping's own would

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)
