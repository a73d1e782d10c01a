"""The fast operations against direct, slow transcriptions of the formulas in the spec."""

import torch
import torch.nn.functional as F

from installation.model.ops import fir_filter_2d, modulated_conv2d, upsample2d


def _zero_stuff(x: torch.Tensor) -> torch.Tensor:
    n, c, h, w = x.shape
    out = torch.zeros(n, c, 2 * h, 2 * w, dtype=x.dtype)
    out[:, :, ::2, ::2] = x
    return out


def _blur(x: torch.Tensor, kernel: torch.Tensor, before: int, after: int) -> torch.Tensor:
    c = x.shape[1]
    x = F.pad(x, (before, after, before, after))
    return F.conv2d(x, kernel[None, None].expand(c, 1, 4, 4), groups=c)


def test_upsample2d_is_zero_insertion_pad_2_1_and_fir_gain_4():
    torch.manual_seed(0)
    x = torch.randn(2, 3, 5, 7, dtype=torch.float64)
    f = fir_filter_2d(dtype=torch.float64)
    expected = _blur(_zero_stuff(x), 4 * f, 2, 1)
    got = upsample2d(x, f)
    assert got.shape == (2, 3, 10, 14)
    assert torch.allclose(got, expected, atol=1e-12)


def _modconv_reference(x, weight, styles, demodulate, up):
    """One sample at a time, with the modulated weight built literally."""
    f = fir_filter_2d(dtype=x.dtype)
    outs = []
    for xi, si in zip(x, styles, strict=True):
        w = weight * si[None, :, None, None]
        if demodulate:
            w = w / torch.sqrt((w**2).sum(dim=[1, 2, 3], keepdim=True) + 1e-8)
        if up:
            y = F.conv_transpose2d(xi[None], w.transpose(0, 1), stride=2)
            y = _blur(y, 4 * f, 1, 1)
        else:
            y = F.conv2d(xi[None], w, padding=weight.shape[-1] // 2)
        outs.append(y)
    return torch.cat(outs)


def test_modulated_conv_paths_agree_with_literal_formula():
    torch.manual_seed(1)
    x = torch.randn(3, 6, 8, 8, dtype=torch.float64)
    weight = torch.randn(5, 6, 3, 3, dtype=torch.float64)
    styles = torch.randn(3, 6, dtype=torch.float64)
    f = fir_filter_2d(dtype=torch.float64)
    for up in (False, True):
        for demodulate in (True, False):
            expected = _modconv_reference(x, weight, styles, demodulate, up)
            for fused in (True, False):
                got = modulated_conv2d(x, weight, styles, demodulate=demodulate, up=up, kernel=f, fused=fused)
                assert got.shape == expected.shape == (3, 5, 16 if up else 8, 16 if up else 8)
                assert torch.allclose(got, expected, atol=1e-10), (up, demodulate, fused)
