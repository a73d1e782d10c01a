"""StyleGAN3's filtered leaky ReLU in plain PyTorch: up-sample, bias, leaky ReLU, gain, clamp, down-sample.

NVIDIA's reference (`upfirdn2d` twice around `bias_act`) zero-stuffs the activation, filters every
pixel of the stuffed image and then throws three of every four filtered pixels away. Here each
resampling is one large tensor operation that touches only the samples it keeps: up-sampling is a
strided transposed convolution (the zeros are never materialised), down-sampling a strided
convolution, and a 1-D filter (the file's separable Kaiser taps) runs as two 1-D passes. Channels
are folded into the batch so that one single-channel kernel serves every channel.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _fold(x: torch.Tensor) -> torch.Tensor:
    n, c, h, w = x.shape
    return x.reshape(n * c, 1, h, w)


def _axis_kernel(taps: torch.Tensor, axis: int, dtype: torch.dtype) -> torch.Tensor:
    """1-D taps as a [1, 1, k, 1] (axis 2, vertical) or [1, 1, 1, k] (axis 3, horizontal) kernel."""
    shape = [1, 1, 1, 1]
    shape[axis] = taps.numel()
    return taps.to(dtype).reshape(shape)


def upsample_fir(x: torch.Tensor, taps: torch.Tensor, factor: int, padding: tuple[int, int, int, int]):
    """Zero-stuff by `factor`, pad (x0, x1, y0, y1; negative crops), convolve with `taps` times
    `factor` per axis (1-D, separable) or `factor`^2 (2-D). `taps` None: padding only."""
    if taps is None:
        return F.pad(x, padding) if any(padding) else x
    n, c = x.shape[:2]
    y = _fold(x)
    flipped = taps.flip(list(range(taps.ndim)))  # a convolution; the transposed conv correlates
    if taps.ndim == 1:
        px0, px1, py0, py1 = padding
        k = taps.numel()
        y = _up_axis(y, flipped * factor, factor, 3, px0, px1, k)
        y = _up_axis(y, flipped * factor, factor, 2, py0, py1, k)
    else:
        k = taps.shape[-1]
        in_h, in_w = y.shape[2:]
        full = F.conv_transpose2d(y, (flipped * factor**2).to(y.dtype)[None, None], stride=factor)
        y = _crop_to(full, in_w * factor + padding[0] + padding[1] - k + 1, 3, k - 1 - padding[0])
        y = _crop_to(y, in_h * factor + padding[2] + padding[3] - k + 1, 2, k - 1 - padding[2])
    return y.reshape(n, c, *y.shape[2:])


def _up_axis(y: torch.Tensor, flipped: torch.Tensor, factor: int, axis: int, p0: int, p1: int, k: int):
    out_len = y.shape[axis] * factor + p0 + p1 - k + 1
    full = F.conv_transpose2d(y, _axis_kernel(flipped, axis, y.dtype), stride=_stride(axis, factor))
    return _crop_to(full, out_len, axis, k - 1 - p0)


def _stride(axis: int, factor: int) -> tuple[int, int]:
    return (factor, 1) if axis == 2 else (1, factor)


def _crop_to(full: torch.Tensor, out_len: int, axis: int, start: int) -> torch.Tensor:
    """`out_len` samples of `full` along `axis` from `start` (zeros where that runs off either end).

    The transposed convolution's sample m is the stuffed-and-padded signal's sample
    m - (k - 1 - pad_before), so the window start is k - 1 - pad_before."""
    end_pad = out_len + start - full.shape[axis]
    pad = [0, 0, 0, 0]
    lo = 0 if axis == 3 else 2
    pad[lo], pad[lo + 1] = -start, end_pad
    return F.pad(full, pad) if start or end_pad else full


def downsample_fir(x: torch.Tensor, taps: torch.Tensor | None, factor: int) -> torch.Tensor:
    """Convolve with `taps` (1-D separable or 2-D), no padding, keep every `factor`-th sample."""
    if taps is None:
        return x[:, :, ::factor, ::factor] if factor > 1 else x
    n, c = x.shape[:2]
    y = _fold(x)
    flipped = taps.flip(list(range(taps.ndim)))
    if taps.ndim == 1:
        y = F.conv2d(y, _axis_kernel(flipped, 3, y.dtype), stride=(1, factor))
        y = F.conv2d(y, _axis_kernel(flipped, 2, y.dtype), stride=(factor, 1))
    else:
        y = F.conv2d(y, flipped.to(y.dtype)[None, None], stride=factor)
    return y.reshape(n, c, *y.shape[2:])


def filtered_lrelu(
    x: torch.Tensor,
    up_taps: torch.Tensor | None,
    down_taps: torch.Tensor | None,
    bias: torch.Tensor,
    *,
    up: int,
    down: int,
    padding: tuple[int, int, int, int],
    gain: float,
    slope: float,
    clamp: float | None,
) -> torch.Tensor:
    """NVIDIA's `filtered_lrelu` (flip_filter False) on [N, C, H, W]: bias, up-sampling FIR, leaky
    ReLU times `gain`, clamp to +-`clamp`, down-sampling FIR."""
    x = x + bias.to(x.dtype)[None, :, None, None]
    x = upsample_fir(x, up_taps, up, padding)
    if slope != 1:
        x = F.leaky_relu(x, slope)
    if gain != 1:
        x = x * gain
    if clamp is not None:
        x = x.clamp(-clamp, clamp)
    return downsample_fir(x, down_taps, down)
