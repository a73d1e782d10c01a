"""Low-level operations of StyleGAN2's synthesis network, in plain PyTorch.

Everything here is written for inference: in-place elementwise work on fresh tensors keeps the
number of full-size passes over memory small, which matters more than FLOPs on a CPU.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F

from installation.model.switches import Switch

SQRT2 = math.sqrt(2.0)
FIR_TAPS = (1.0, 3.0, 3.0, 1.0)


def fir_filter_2d(
    device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32, taps: Sequence[float] = FIR_TAPS
) -> torch.Tensor:
    """The separable low-pass filter outer(taps, taps), normalised to sum to one (NVIDIA's
    setup_filter); the default [1,3,3,1] gives the 4x4 kernel every StyleGAN2 is trained with."""
    taps = torch.tensor(tuple(taps), dtype=torch.float64)
    kernel = torch.outer(taps, taps)
    return (kernel / kernel.sum()).to(device=device, dtype=dtype)


def upsampling_pads(taps: int) -> tuple[int, int]:
    """Zeros NVIDIA's upfirdn2d.upsample2d puts (before, after) a zero-stuffed x2 axis for a
    filter of `taps` taps: the output is then exactly twice as long."""
    return (taps + 1) // 2, (taps - 2) // 2


# onnxruntime runs a depthwise convolution in its fast blocked layout only when the bias is a
# constant. A morph graph's biases are mixed as it runs, so its blurs add them after the
# convolution (`biases_apart`): one small pass instead of the slow layout's several.
_BIASES_APART = Switch("biases_apart")
biases_apart = _BIASES_APART.on  # within: graphs exported here add the blurs' biases apart


def blur_depthwise(
    x: torch.Tensor,
    kernel: torch.Tensor,
    pads: tuple[int, int, int, int],
    bias: torch.Tensor | None = None,
) -> torch.Tensor:
    """Zero-pad (top, bottom, left, right), convolve every channel with the filter `kernel` (a
    true convolution, as NVIDIA's upfirdn2d), add `bias` [C].

    Equal pads (any symmetric-length filter) go to the convolution itself: no padded copy of a
    large activation, and the bias costs no extra pass.
    """
    channels = x.shape[1]
    weight = kernel.flip([0, 1]).to(x.dtype)[None, None].expand(channels, 1, *kernel.shape)
    apart = bias is not None and bool(_BIASES_APART)
    conv_bias = None if apart else bias
    top, bottom, left, right = pads
    if top == bottom and left == right:
        y = F.conv2d(x, weight, conv_bias, padding=(top, left), groups=channels)
    else:
        y = F.conv2d(F.pad(x, (left, right, top, bottom)), weight, conv_bias, groups=channels)
    return y.add_(bias[:, None, None]) if apart else y


def upsample2d(x: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """Zero-insertion x2, then the FIR filter `kernel` with gain 4: the skip path's image up-sampler."""
    n, c, h, w = x.shape
    fh, fw = kernel.shape
    # A stride-2 transposed depthwise conv inserts the zeros and convolves in one op. Its padding
    # trims the start of the full result to where NVIDIA's padding puts it; an odd-length filter
    # leaves one row / column too many at the end.
    trim = tuple(taps - 1 - upsampling_pads(taps)[0] for taps in (fh, fw))
    weight = (kernel * 4).to(x.dtype)[None, None].expand(c, 1, fh, fw)
    y = F.conv_transpose2d(x, weight, stride=2, groups=c, padding=trim)
    return y if y.shape[2:] == (2 * h, 2 * w) else y[:, :, : 2 * h, : 2 * w]


def blur_pads_after_up_conv(kernel: torch.Tensor, conv_size: int) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) of the blur after a stride-2 transposed `conv_size` convolution
    with padding conv_size // 2: NVIDIA's conv2d_resample arithmetic, for any filter of 2+ taps."""
    pads = []
    for taps in kernel.shape:
        before, after = upsampling_pads(taps)
        pad = conv_size // 2
        pads += [pad + before - (conv_size - 1), pad + after - (conv_size - 2)]
    return tuple(pads)


def lrelu_clamp_(x: torch.Tensor, clamp: float | None) -> torch.Tensor:
    """In place: clamp(leaky_relu(x, 0.2), -clamp, clamp); two passes over x, no temporaries.

    Bias and gain are folded into the convolution before it (leaky ReLU commutes with a
    positive gain), which leaves these two of NVIDIA's five elementwise passes.
    """
    F.leaky_relu_(x, 0.2)
    return x if clamp is None else x.clamp_(-clamp, clamp)


def prepare_weight(weight: torch.Tensor, dtype: torch.dtype, demodulate: bool = True) -> torch.Tensor:
    """The part of a modulated convolution's weight that does not change between frames: the
    weight in `dtype` (in fp16 and demodulating, scaled so that styles x weights cannot
    overflow). Layers keep the result, so no frame recasts a weight."""
    cout, cin, kh, kw = weight.shape
    weight = weight.to(dtype)
    if demodulate and dtype == torch.float16:
        # fp16 overflows on large styles x weights; demodulation undoes any overall scale anyway.
        weight = weight * (
            1 / math.sqrt(cin * kh * kw) / weight.norm(float("inf"), dim=[1, 2, 3], keepdim=True)
        )
    return weight


def kernel_squares(weight: torch.Tensor) -> torch.Tensor:
    """A prepared weight's squares summed over the kernel [Cout, Cin]: what demodulation needs."""
    return weight.square().sum(dim=[2, 3])


def modulated_conv2d(
    x: torch.Tensor,
    weight: torch.Tensor,
    styles: torch.Tensor,
    *,
    demodulate: bool = True,
    up: bool = False,
    kernel: torch.Tensor | None = None,
    fused: bool | None = None,
    gain: float = 1.0,
    bias: torch.Tensor | None = None,
    weight_sq: torch.Tensor | None = None,
) -> torch.Tensor:
    """StyleGAN2's modulated convolution for a batch: per-sample input scaling and demodulation.

    x [N, Cin, H, W], weight [Cout, Cin, k, k], styles [N, Cin]. With `up`, the result is the
    transposed stride-2 convolution followed by the blur with the filter `kernel` (2H x 2W). Returns
    `gain * conv + bias` (bias [Cout]): the gain goes into the modulation and the bias into the
    last convolution's epilogue, so neither costs a pass over the output. `fused=None` picks the
    cheaper formulation: per-sample weights in a grouped convolution when weights are smaller
    than activations (high resolutions), else one shared convolution with the modulation
    applied to activations. `weight_sq` given means `weight` comes from `prepare_weight`
    and `weight_sq` from `kernel_squares` of it; else both are made here.
    """
    n, cin, h, w = x.shape
    cout, wcin, kh, kw = weight.shape
    assert wcin == cin and styles.shape == (n, cin), (x.shape, weight.shape, styles.shape)
    if weight_sq is None:
        weight = prepare_weight(weight, x.dtype, demodulate)
        weight_sq = kernel_squares(weight) if demodulate else None
    styles = styles.to(x.dtype)
    bias = None if bias is None else bias.to(x.dtype)
    if x.dtype == torch.float16 and demodulate:
        styles = styles / styles.norm(float("inf"), dim=1, keepdim=True)  # see prepare_weight
    out_scale = None  # [N, Cout]: demodulation times gain
    if demodulate:
        # sum over (in, kh, kw) of (w * s)^2 = (w^2 summed over k) @ s^2
        out_scale = torch.rsqrt(styles.square() @ weight_sq.T + 1e-8) * gain
    elif gain != 1:
        styles = styles * gain
    if fused is None:
        fused = n * cout * cin * kh * kw <= n * cin * h * w
    conv_bias = None if up else bias  # after an up-sampling conv the bias goes into the blur
    if fused:
        wmod = weight[None] * styles[:, None, :, None, None]
        if out_scale is not None:
            wmod = wmod * out_scale[:, :, None, None, None]
        xg = x.reshape(1, n * cin, h, w)
        if up:
            wmod = wmod.transpose(1, 2).reshape(n * cin, cout, kh, kw)
            y = F.conv_transpose2d(xg, wmod, stride=2, groups=n)
        else:
            gbias = None if conv_bias is None else conv_bias.repeat(n)
            y = F.conv2d(xg, wmod.reshape(n * cout, cin, kh, kw), gbias, padding=kh // 2, groups=n)
        y = y.reshape(n, cout, *y.shape[2:])
    else:
        xs = x * styles[:, :, None, None]
        if up:
            y = F.conv_transpose2d(xs, weight.transpose(0, 1), stride=2)
        else:
            y = F.conv2d(xs, weight, conv_bias if out_scale is None else None, padding=kh // 2)
        if out_scale is not None:
            y.mul_(out_scale[:, :, None, None])
            if conv_bias is not None:
                y.add_(conv_bias[:, None, None])
    if up:
        assert kernel is not None
        y = blur_depthwise(y, kernel * 4, blur_pads_after_up_conv(kernel, kh), bias)
    return y
