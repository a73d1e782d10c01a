"""filtered_lrelu's block matrix products equal the textbook zero-stuff / pad / convolve / stride."""

import contextlib

import pytest
import torch
import torch.nn.functional as F

from installation.model.filtered_lrelu import filtered_lrelu, sliced_windows


def _upfirdn(x: torch.Tensor, taps: torch.Tensor, up: int, down: int, pad: tuple[int, int, int, int]):
    """Zero-stuff by `up`, pad (x0, x1, y0, y1; negative crops), convolve with taps (2-D, or the outer
    product of 1-D taps) times up², keep every `down`-th sample: NVIDIA's upfirdn2d, written plainly."""
    n, c, h, w = x.shape
    stuffed = x.new_zeros(n, c, h * up, w * up)
    stuffed[:, :, ::up, ::up] = x
    stuffed = F.pad(stuffed, pad)
    kernel = taps if taps.ndim == 2 else taps[:, None] * taps[None, :]
    kernel = (kernel * up**2).flip(0, 1).to(x.dtype)
    out = F.conv2d(stuffed, kernel.expand(c, 1, *kernel.shape).contiguous(), groups=c)
    return out[:, :, ::down, ::down]


def _reference(x, up_taps, down_taps, bias, up, down, padding, gain, slope, clamp):
    y = _upfirdn(x + bias[None, :, None, None], up_taps, up, 1, padding)
    y = (F.leaky_relu(y, slope) * gain).clamp(-clamp, clamp)
    return _upfirdn(y, down_taps, 1, down, (0, 0, 0, 0))


@pytest.mark.parametrize(
    "up, down, padding, size, radial",
    [
        (2, 2, (9, 8, 9, 8), (23, 23), False),  # config T's usual layer
        (4, 2, (-6, -9, -6, -9), (30, 30), False),  # critically sampled: crops on both sides
        (2, 2, (-11, -12, 3, 0), (21, 40), False),  # uneven and mixed padding on a wide canvas
        (2, 2, (9, 8, 9, 8), (19, 27), True),  # config R: a radial 2-D down-sampling filter
        (1, 1, (5, 0, 0, 7), (20, 20), False),
    ],
)
@pytest.mark.parametrize("form", ["eager", "graph", "onnx graph"])  # how bands read their windows
def test_matches_zero_stuff_pad_convolve(up, down, padding, size, radial, form, monkeypatch):
    monkeypatch.setattr(torch.compiler, "is_exporting", lambda: form != "eager")
    g = torch.Generator().manual_seed(up * 10 + down)
    x = torch.randn(2, 5, *size, generator=g, dtype=torch.float64)
    bias = torch.randn(5, generator=g, dtype=torch.float64)
    up_taps = torch.randn(6 * up, generator=g, dtype=torch.float64)
    r = torch.linspace(-1, 1, 12, dtype=torch.float64)
    down_taps = (
        torch.exp(-3 * (r[:, None] ** 2 + r[None, :] ** 2)) if radial else torch.randn(12, generator=g)
    )
    down_taps = down_taps.to(torch.float64)
    args = dict(up=up, down=down, padding=padding, gain=1.4, slope=0.2, clamp=2.5)
    with sliced_windows() if form == "onnx graph" else contextlib.nullcontext():
        got = filtered_lrelu(x, up_taps, down_taps, bias, **args)
    want = _reference(x, up_taps, down_taps, bias, **args)
    assert got.shape == want.shape
    assert (got - want).abs().max() < 1e-9 * want.abs().max()
