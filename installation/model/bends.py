"""Network bending: transforms of one layer's activations, applied while the generator runs.

`BendPlan` is made once per show and model (it checks layers and channel sets). Per batch,
`plan.hook(values)` turns the current parameter values into a `Bending`: the synthesis
network's `bend` hook in torch eager, and for a graph backend the same plan's `layouts` (fixed
when the graph is built) with `params`, one row of numbers per bend (amount, then arguments),
fed to the graph as an input, so turning a knob never rebuilds it. None when every amount is 0,
so an unbent show runs the untouched network.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from installation.errors import UserError
from installation.show.bend_sections import TRANSFORM_ARGS, BendSettings

BendHook = Callable[[str, torch.Tensor], torch.Tensor]
ARG_SLOTS = max(len(args) for args in TRANSFORM_ARGS.values())  # a row: amount, then these
WARPS = ("translate", "rotate", "zoom")  # resampled through a grid: not exactly x at amount 0


def layer_names(G) -> list[str]:
    """The synthesis layers a bend or the layer view can reach, coarsest first."""
    names = []
    for res in G.config.block_resolutions:
        names += [f"b{res}.conv1"] if res == 4 else [f"b{res}.conv0", f"b{res}.conv1"]
    return names


def layer_channels(G, name: str) -> int:
    return int(G.synthesis.get_submodule(name).weight.shape[0])


@dataclass(frozen=True)
class BendLayout:
    """What a built graph fixes about one bend: all but its live amount and arguments."""

    layer: str
    transform: str
    channels: tuple[int, ...] | None  # None: all
    axis: str = "x"
    size: int = 3
    seed: int = 0


def layouts_key(layouts: tuple[BendLayout, ...]) -> str:
    """A short digest naming a bend declaration in graph file names ('' for none)."""
    if not layouts:
        return ""
    return hashlib.blake2b(repr(layouts).encode(), digest_size=4).hexdigest()


def _warp(x: torch.Tensor, turn: torch.Tensor, zoom: torch.Tensor, dx: torch.Tensor, dy: torch.Tensor):
    """`x` turned by `turn` radians, magnified by `zoom` and shifted by (dx, dy) layer sizes,
    bilinear with zeros coming in: one affine_grid and one grid_sample, the parameters as 0-d
    tensors (a graph's inputs). grid_sample's coordinates span 2 units across the layer."""
    cos, sin = torch.cos(turn) / zoom, torch.sin(turn) / zoom
    theta = torch.stack([cos, -sin, -2 * dx, sin, cos, -2 * dy]).reshape(1, 2, 3).to(x.dtype)
    grid = F.affine_grid(theta.expand(x.shape[0], 2, 3), list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def _sin_field(h: int, w: int, frequency, turn, phase, like: torch.Tensor) -> torch.Tensor:
    v = torch.arange(h, dtype=like.dtype, device=like.device)[:, None] / h
    u = torch.arange(w, dtype=like.dtype, device=like.device)[None, :] / w
    along = u * torch.cos(turn) + v * torch.sin(turn)
    return torch.sin(2 * math.pi * (frequency * along + phase))


def _window_extreme(x: torch.Tensor, size: int, pick: Callable) -> torch.Tensor:
    """`pick` (torch.maximum or torch.minimum) over a size x size neighbourhood, same size out,
    the edges repeated (the window spans (size-1)//2 before each pixel and size//2 after).
    Separable, and each axis by doubling: ~2 log2(size) elementwise passes instead of a
    max_pool2d with stride 1, which torch runs on a CPU several times slower."""
    before, after = (size - 1) // 2, size // 2
    if torch.compiler.is_exporting():
        # In a graph one pooling pass, where onnxruntime copies each shifted slice first. The
        # edge's copies are in every window they would reach, so padding with -inf instead
        # gives the same numbers; an odd window's pooling pads so by itself.
        flip = pick is torch.minimum  # the min is minus the max of minus x
        x = -x if flip else x
        if before == after:
            x = F.max_pool2d(x, size, stride=1, padding=before)
        else:
            x = F.max_pool2d(F.pad(x, (before, after, before, after), value=-math.inf), size, stride=1)
        return -x if flip else x
    x = F.pad(x, (before, after, before, after), mode="replicate")
    for dim in (3, 2):
        width = 1
        while 2 * width <= size:
            x = _pick_shifted(x, dim, width, pick)
            width *= 2
        if size > width:
            x = _pick_shifted(x, dim, size - width, pick)
    return x


def _pick_shifted(x: torch.Tensor, dim: int, shift: int, pick: Callable) -> torch.Tensor:
    n = x.shape[dim] - shift
    return pick(x.narrow(dim, 0, n), x.narrow(dim, shift, n))


class _Bend(nn.Module):
    """One bend on its layer: `forward(x, amount, args)` with the amount and the arguments as
    0-d tensors (args in TRANSFORM_ARGS order), the same code eager and inside a graph but for
    two formulations that are cheaper to onnxruntime when exported (pooling for erode and dilate,
    the same numbers; the blend as x + a (r - x), equal to the lerp within rounding)."""

    def __init__(self, layout: BendLayout, G) -> None:
        super().__init__()
        self.layout = layout
        chosen = layout.channels
        self.span: tuple[int, int] | None = None  # a contiguous run is sliced, not gathered
        if chosen is not None and list(chosen) == list(range(chosen[0], chosen[-1] + 1)):
            self.span = (chosen[0], chosen[-1] + 1)
        self.register_buffer("index", torch.tensor(chosen or (), dtype=torch.long), persistent=False)
        field = torch.zeros(0)
        if layout.transform == "noise":
            count = len(chosen) if chosen is not None else layer_channels(G, layout.layer)
            shape = (count, *G.synthesis.get_submodule(layout.layer).size)
            field = torch.from_numpy(
                np.random.default_rng(layout.seed).standard_normal(shape).astype(np.float32)
            )
        self.register_buffer("field", field, persistent=False)

    def forward(self, x: torch.Tensor, amount: torch.Tensor, args: torch.Tensor) -> torch.Tensor:
        if self.layout.channels is None:
            return self._transform(x.to(torch.float32), amount, args).to(x.dtype)
        if self.span is not None:
            first, stop = self.span
            chosen = x[:, first:stop]
        else:
            chosen = x.index_select(1, self.index)
        bent = self._transform(chosen.to(torch.float32), amount, args).to(x.dtype)
        if self.span is not None:
            return torch.slice_scatter(x, bent, 1, first, stop)
        return x.index_copy(1, self.index, bent)

    def _transform(self, x: torch.Tensor, a: torch.Tensor, args: torch.Tensor) -> torch.Tensor:
        kind, zero = self.layout.transform, a.new_zeros(())
        if kind == "translate":
            return _warp(x, zero, zero + 1, a * args[0], a * args[1])
        if kind == "rotate":
            return _warp(x, a * args[0] * (math.pi / 180), zero + 1, zero, zero)
        if kind == "zoom":
            return _warp(x, zero, torch.pow(args[0], a), zero, zero)
        if kind == "multiply":
            return x * (1 + a * (args[0] - 1))
        if kind == "ablate":
            return x * (1 - a)
        if kind == "sin":
            field = _sin_field(*x.shape[2:], args[1], args[2] * (math.pi / 180), args[3], x)
            return x + (a * args[0]) * field
        if kind == "noise":
            return x + (a * args[0]) * self.field
        replacement = self._replacement(x, args)
        if torch.compiler.is_exporting():  # three passes to onnxruntime, where a lerp is six
            return x + a.to(x.dtype) * (replacement - x)  # exactly x at 0, as the lerp
        return torch.lerp(x, replacement, a.to(x.dtype))

    def _replacement(self, x: torch.Tensor, args: torch.Tensor) -> torch.Tensor:
        """What the blended transforms move towards at amount 1."""
        kind = self.layout.transform
        if kind == "flip":
            return x.flip(3 if self.layout.axis == "x" else 2)
        if kind == "invert":
            return -x
        if kind == "threshold":
            return (x > args[0]).to(x.dtype)
        return _window_extreme(x, self.layout.size, torch.minimum if kind == "erode" else torch.maximum)


class BendTransforms(nn.Module):
    """The transforms of a bend declaration on one generator: what a graph holds (channel
    indices and noise fields as buffers; move it with `.to`)."""

    def __init__(self, layouts: tuple[BendLayout, ...], G) -> None:
        super().__init__()
        self.layouts = layouts
        self.bends = nn.ModuleList(_Bend(layout, G) for layout in layouts)
        self.to(G.mapping.w_avg.device)

    def apply(
        self, name: str, x: torch.Tensor, params: torch.Tensor, active: tuple[bool, ...] | None = None
    ) -> torch.Tensor:
        """Every bend of layer `name`, in file order; `params` [bends, 1 + ARG_SLOTS] holds each
        one's amount and arguments. Eager passes `active` (which amounts are non-zero) and
        skips the rest; a graph, built before any amount is known, passes None and computes
        them all: at amount 0 every transform but the warps gives its input back exactly by
        itself (x * 1, x + 0 * field, a lerp at 0), and a warp's output is taken only where its
        amount is non-zero (a resampled grid is not exact), so amount 0 is the unbent layer
        exactly without a full-layer select per bend."""
        for i, layout in enumerate(self.layouts):
            if layout.layer != name or (active is not None and not active[i]):
                continue
            bent = self.bends[i](x, params[i, 0], params[i, 1:])
            exact_at_zero = layout.transform not in WARPS
            x = bent if active is not None or exact_at_zero else torch.where(params[i, 0] != 0, bent, x)
        return x


class BendPlan:
    """A show's bends checked against one generator."""

    def __init__(self, bends: tuple[BendSettings, ...], G, clusters: Callable | None = None) -> None:
        names = layer_names(G) if bends else []
        for bend in bends:
            if bend.layer_name not in names:
                raise UserError(
                    f"bend {bend.name}: this model has no layer {bend.layer_name}; "
                    f"its layers are {', '.join(names)}"
                )
        self.settings = bends
        layouts = tuple(
            BendLayout(
                bend.layer_name,
                bend.transform,
                _channel_set(bend, layer_channels(G, bend.layer_name), G, clusters),
                bend.axis,
                bend.size,
                bend.seed,
            )
            for bend in bends
        )
        self.transforms = BendTransforms(layouts, G)
        self._device = G.mapping.w_avg.device

    def __bool__(self) -> bool:
        return bool(self.settings)

    @property
    def layouts(self) -> tuple[BendLayout, ...]:
        return self.transforms.layouts

    def hook(self, values: Mapping[str, float]) -> Bending | None:
        """The bending for these parameter values; None when no bend has a non-zero amount."""
        rows = []
        for s in self.settings:
            row = [float(values[s.parameter_name()])]
            row += [float(values[s.parameter_name(arg)]) for arg in s.args]
            rows.append(row + [0.0] * (1 + ARG_SLOTS - len(row)))
        if not any(row[0] for row in rows):
            return None
        params = torch.tensor(rows, dtype=torch.float32, device=self._device)
        return Bending(self.transforms, params, tuple(row[0] != 0 for row in rows))


@dataclass(frozen=True)
class Bending:
    """A batch's bends: the transforms, their parameter rows [bends, 1 + ARG_SLOTS] (the graph
    input) and which amounts are non-zero. Called as `(layer name, activations)` it is the
    synthesis network's eager `bend` hook."""

    transforms: BendTransforms
    params: torch.Tensor
    active: tuple[bool, ...]

    @property
    def layouts(self) -> tuple[BendLayout, ...]:
        return self.transforms.layouts

    def __call__(self, name: str, x: torch.Tensor) -> torch.Tensor:
        return self.transforms.apply(name, x, self.params.to(x.device), self.active)


def _channel_set(bend: BendSettings, count: int, G, clusters: Callable | None) -> tuple[int, ...] | None:
    if bend.channels == "all":
        return None
    if bend.channels == "fraction":
        rng = np.random.default_rng(bend.channel_seed)
        picked = rng.permutation(count)[: max(1, round(bend.fraction * count))]
        return tuple(int(c) for c in np.sort(picked))
    if bend.channels == "cluster":
        if clusters is None:
            raise UserError(f"bend {bend.name}: channel clusters need a model file to cache them beside")
        labels = clusters(bend.layer_name, bend.clusters)
        picked = np.flatnonzero(labels == bend.cluster)
        if not picked.size:
            raise UserError(f"bend {bend.name}: cluster {bend.cluster} of {bend.layer_name} is empty")
        return tuple(int(c) for c in picked)
    first, stop = bend.channel_range
    if stop > count:
        raise UserError(
            f"bend {bend.name}: {bend.layer_name} has channels 0-{count - 1}, not {bend.channels}"
        )
    return tuple(range(first, stop))
