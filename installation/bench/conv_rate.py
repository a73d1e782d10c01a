"""The machine's convolution rate for one model: what a frame would take if it were only its convolutions.

One eager frame in a precision is traced for every convolution it runs (shapes, dtype, memory
layout, stride, padding, groups, transposed or not). Each dense one is then run on its own,
with fresh tensors of those shapes, and timed: the sum is the frame's convolution floor on this
machine and library, and its FLOPs over that time is the machine's convolution rate for this
model. A backend's frame time against the floor says how close it comes to that rate (the
floor / the frame: 100 % is a frame that costs no more than its convolutions alone).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
from torch.utils._python_dispatch import TorchDispatchMode

from installation.timing import median_ms


@dataclass(frozen=True)
class Convolution:
    input_shape: tuple[int, ...]
    weight_shape: tuple[int, ...]
    dtype: torch.dtype
    channels_last: bool
    has_bias: bool
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    dilation: tuple[int, ...]
    transposed: bool
    output_padding: tuple[int, ...]
    groups: int
    output_numel: int

    @property
    def flops(self) -> int:
        """Multiply-adds x 2: every output (or, transposed, every input) element meets a
        kernel's worth of the other side's channels per group."""
        taps = math.prod(self.weight_shape[2:])
        if self.transposed:  # weight [in, out / groups, k, k]: each input element fans out
            return 2 * math.prod(self.input_shape) * self.weight_shape[1] * taps
        return 2 * self.output_numel * self.weight_shape[1] * taps

    def tensors(self, device: torch.device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        fmt = torch.channels_last if self.channels_last else torch.contiguous_format
        x = torch.randn(self.input_shape, device=device, dtype=self.dtype).contiguous(memory_format=fmt)
        w = torch.randn(self.weight_shape, device=device, dtype=self.dtype).contiguous(memory_format=fmt)
        out_channels = self.weight_shape[1] * self.groups if self.transposed else self.weight_shape[0]
        b = torch.randn(out_channels, device=device, dtype=self.dtype) if self.has_bias else None
        return x, w, b

    def run(self, x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None) -> torch.Tensor:
        return torch.ops.aten.convolution(
            x,
            w,
            b,
            self.stride,
            self.padding,
            self.dilation,
            self.transposed,
            self.output_padding,
            self.groups,
        )


class _Tracer(TorchDispatchMode):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[Convolution] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if func is torch.ops.aten.convolution.default:
            x, w, b, stride, padding, dilation, transposed, output_padding, groups = args
            self.found.append(
                Convolution(
                    tuple(x.shape),
                    tuple(w.shape),
                    x.dtype,
                    x.dim() == 4
                    and x.is_contiguous(memory_format=torch.channels_last)
                    and not x.is_contiguous(),
                    b is not None,
                    tuple(stride),
                    tuple(padding),
                    tuple(dilation),
                    bool(transposed),
                    tuple(output_padding),
                    int(groups),
                    out.numel(),
                )
            )
        return out


def traced_convolutions(G, ws: torch.Tensor, precision: str, **render) -> list[Convolution]:
    """Every convolution one eager frame of G in `precision` runs, in order."""
    tracer = _Tracer()
    with torch.no_grad(), tracer:  # (inference mode would show aten.conv2d, not its decomposition)
        G.synthesis(ws, noise_mode="const", precision=precision, **render)
    return tracer.found


def convolution_floor(
    convolutions: list[Convolution], device: torch.device, repeats: int, sync
) -> dict[str, float]:
    """ms the frame's dense convolutions take run alone, each in the faster of its own memory
    layout and channels-last (the median of `repeats` timings per convolution, after one
    warm-up), and the rate in GFLOP/s that gives. Depthwise and other grouped convolutions
    (FIR filters written as convolutions) are resampling, not the network's convolutions: they
    are left out of both."""
    dense = [conv for conv in convolutions if conv.groups == 1]
    ms = 0.0
    with torch.inference_mode():
        for conv in dense:
            ms += min(
                _timed(variant, device, repeats, sync)
                for variant in {conv, replace(conv, channels_last=len(conv.input_shape) == 4)}
            )
    flops = sum(conv.flops for conv in dense)
    return {
        "ms": ms,
        "gflops": flops / ms / 1e6 if ms else 0.0,
        "gflop_per_frame": flops / 1e9,
        "count": len(dense),
    }


def _timed(conv: Convolution, device: torch.device, repeats: int, sync) -> float:
    """Median ms of `conv` on fresh tensors of its shapes, after one warm-up."""
    tensors = conv.tensors(device)
    return median_ms(lambda: conv.run(*tensors), repeats, sync=sync)
