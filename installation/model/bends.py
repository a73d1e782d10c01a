"""Network bending: transforms of one layer's activations, applied while the generator runs.

`BendPlan` is made once per show and model (it checks layers and channel sets); per batch,
`plan.hook(values)` turns the current parameter values into the synthesis network's `bend`
hook, or None when every amount is 0, so an unbent show runs the untouched network.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from installation.errors import UserError
from installation.show.bend_sections import BendSettings

BendHook = Callable[[str, torch.Tensor], torch.Tensor]


def layer_names(G) -> list[str]:
    """The synthesis layers a bend or the layer view can reach, coarsest first."""
    names = []
    for res in G.config.block_resolutions:
        names += [f"b{res}.conv1"] if res == 4 else [f"b{res}.conv0", f"b{res}.conv1"]
    return names


def layer_channels(G, name: str) -> int:
    return int(G.synthesis.get_submodule(name).weight.shape[0])


def _affine_grid(x: torch.Tensor, angle_deg: float, zoom: float, dx: float, dy: float) -> torch.Tensor:
    """Sampling grid that shows `x` turned by `angle_deg`, magnified by `zoom` and shifted by
    (dx, dy) layer sizes; grid_sample's coordinates span 2 units across the layer."""
    turn = math.radians(angle_deg)
    cos, sin = math.cos(turn) / zoom, math.sin(turn) / zoom
    theta = torch.tensor([[cos, -sin, -2 * dx], [sin, cos, -2 * dy]], dtype=x.dtype, device=x.device)
    return F.affine_grid(theta.expand(x.shape[0], 2, 3), list(x.shape), align_corners=False)


def _warp(x: torch.Tensor, angle_deg: float = 0.0, zoom: float = 1.0, dx: float = 0.0, dy: float = 0.0):
    grid = _affine_grid(x, angle_deg, zoom, dx, dy)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def _sin_field(h: int, w: int, frequency: float, angle_deg: float, phase: float, like: torch.Tensor):
    v, u = torch.meshgrid(
        torch.arange(h, dtype=like.dtype, device=like.device) / h,
        torch.arange(w, dtype=like.dtype, device=like.device) / w,
        indexing="ij",
    )
    turn = math.radians(angle_deg)
    along = u * math.cos(turn) + v * math.sin(turn)
    return torch.sin(2 * math.pi * (frequency * along + phase))


@dataclass
class _Bend:
    settings: BendSettings
    channels: torch.Tensor | None  # indices; None: all
    noise: dict[tuple, torch.Tensor]  # the noise transform's field, per (size, device)

    def apply(self, x: torch.Tensor, amount: float, args: Mapping[str, float]) -> torch.Tensor:
        chosen = x if self.channels is None else x.index_select(1, self.channels.to(x.device))
        bent = self._transform(chosen.to(torch.float32), amount, args).to(x.dtype)
        if self.channels is None:
            return bent
        out = x.clone()
        out.index_copy_(1, self.channels.to(x.device), bent)
        return out

    def _transform(self, x: torch.Tensor, a: float, args: Mapping[str, float]) -> torch.Tensor:
        kind = self.settings.transform
        if kind == "translate":
            return _warp(x, dx=a * args["x"], dy=a * args["y"])
        if kind == "rotate":
            return _warp(x, angle_deg=a * args["angle"])
        if kind == "zoom":
            return _warp(x, zoom=args["scale"] ** a)
        if kind == "multiply":
            return x * (1 + a * (args["factor"] - 1))
        if kind == "ablate":
            return x * (1 - a)
        if kind == "sin":
            field = _sin_field(*x.shape[2:], args["frequency"], args["angle"], args["phase"], x)
            return x + (a * args["factor"]) * field
        if kind == "noise":
            return x + (a * args["factor"]) * self._noise_field(x)
        return torch.lerp(x, self._replacement(x, args), a)

    def _replacement(self, x: torch.Tensor, args: Mapping[str, float]) -> torch.Tensor:
        """What the blended transforms move towards at amount 1."""
        s, kind = self.settings, self.settings.transform
        if kind == "flip":
            return x.flip(3 if s.axis == "x" else 2)
        if kind == "invert":
            return -x
        if kind == "threshold":
            return (x > args["level"]).to(x.dtype)
        # erode / dilate: min / max over a size x size neighbourhood, same size out
        pad = ((s.size - 1) // 2, s.size // 2, (s.size - 1) // 2, s.size // 2)
        sign = -1.0 if kind == "erode" else 1.0
        padded = F.pad(sign * x, pad, mode="replicate")
        return sign * F.max_pool2d(padded, s.size, stride=1)

    def _noise_field(self, x: torch.Tensor) -> torch.Tensor:
        key = (tuple(x.shape[1:]), x.device)
        if key not in self.noise:
            rng = np.random.default_rng(self.settings.seed)
            field = rng.standard_normal(x.shape[1:]).astype(np.float32)
            self.noise[key] = torch.from_numpy(field).to(x.device)
        return self.noise[key]


class BendPlan:
    """A show's bends checked against one generator."""

    def __init__(self, bends: tuple[BendSettings, ...], G, clusters: Callable | None = None) -> None:
        names = layer_names(G) if bends else []
        self._bends: list[_Bend] = []
        for bend in bends:
            if bend.layer_name not in names:
                raise UserError(
                    f"bend {bend.name}: this model has no layer {bend.layer_name}; "
                    f"its layers are {', '.join(names)}"
                )
            channels = _channel_set(bend, layer_channels(G, bend.layer_name), G, clusters)
            self._bends.append(_Bend(bend, channels, {}))

    def __bool__(self) -> bool:
        return bool(self._bends)

    def hook(self, values: Mapping[str, float]) -> BendHook | None:
        """The hook for these parameter values; None when no bend has a non-zero amount."""
        active: dict[str, list[tuple[_Bend, float, dict[str, float]]]] = {}
        for bend in self._bends:
            s = bend.settings
            amount = float(values[s.parameter_name()])
            if amount == 0:
                continue
            args = {arg: float(values[s.parameter_name(arg)]) for arg in s.args}
            active.setdefault(s.layer_name, []).append((bend, amount, args))
        if not active:
            return None

        def bend_layer(name: str, x: torch.Tensor) -> torch.Tensor:
            for bend, amount, args in active.get(name, ()):
                x = bend.apply(x, amount, args)
            return x

        return bend_layer


def _channel_set(bend: BendSettings, count: int, G, clusters: Callable | None) -> torch.Tensor | None:
    if bend.channels == "all":
        return None
    if bend.channels == "fraction":
        rng = np.random.default_rng(bend.channel_seed)
        picked = rng.permutation(count)[: max(1, round(bend.fraction * count))]
        return torch.from_numpy(np.sort(picked))
    if bend.channels == "cluster":
        if clusters is None:
            raise UserError(f"bend {bend.name}: channel clusters need a model file to cache them beside")
        labels = clusters(bend.layer_name, bend.clusters)
        picked = np.flatnonzero(labels == bend.cluster)
        if not picked.size:
            raise UserError(f"bend {bend.name}: cluster {bend.cluster} of {bend.layer_name} is empty")
        return torch.from_numpy(picked)
    first, stop = bend.channel_range
    if stop > count:
        raise UserError(
            f"bend {bend.name}: {bend.layer_name} has channels 0-{count - 1}, not {bend.channels}"
        )
    return torch.arange(first, stop)
