"""StyleGAN3's filtered leaky ReLU in plain PyTorch: up-sample, bias, leaky ReLU, gain, clamp, down-sample.

NVIDIA's reference (`upfirdn2d` twice around `bias_act`) zero-stuffs the activation, filters it with
depthwise convolutions and throws most filtered pixels away; on a CPU those depthwise convolutions
run at a small fraction of the machine's speed. Here every resampling along one axis is a matrix
(zero-stuffing, padding, taps, gain and stride folded in, built once per layer), so the whole op
is four large matrix products around one elementwise pass, which BLAS runs near its peak:

    y = clamp(lrelu(U_h (x + b) U_wᵀ) · gain),   out = D_h y D_wᵀ

The matrices are banded (each output sample reads only its filter's taps), so each is stored as
a few row blocks with the column window they read, and multiplied block by block: the work stays
proportional to the taps, not to the canvas width.

A 1-D filter (the file's separable Kaiser taps) gives one matrix per axis. A 2-D filter (config R's
radially symmetric down-sampling filter) is split by SVD into a few separable terms, kept until the
rest is below float32 precision, so it is applied as a short sum of the same products.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

# Separable terms of a 2-D filter whose singular value is below this fraction of the largest are
# dropped: together they change no output by more than float32 rounding.
SVD_RELATIVE_CUTOFF = 1e-7


def separable_terms(taps: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(vertical, horizontal) 1-D taps whose outer products sum to `taps` (1-D taps: one term)."""
    taps = taps.to(torch.float64)
    if taps.ndim == 1:
        return [(taps, taps)]
    u, s, vh = torch.linalg.svd(taps)
    keep = s > s[0] * SVD_RELATIVE_CUTOFF
    return [(u[:, k] * s[k].sqrt(), vh[k] * s[k].sqrt()) for k in range(int(keep.sum()))]


def up_matrix(taps: torch.Tensor, length: int, factor: int, pad_before: int, pad_after: int) -> torch.Tensor:
    """[out, length]: zero-stuff by `factor`, pad (negative crops), convolve with `taps` x `factor`."""
    k = taps.numel()
    out = length * factor + pad_before + pad_after - k + 1
    i = torch.arange(out)[:, None]
    n = torch.arange(length)[None, :]
    t = n * factor + pad_before - i  # tap index of the flipped filter that joins output i to input n
    valid = (t >= 0) & (t < k)
    return torch.where(valid, taps.flip(0)[t.clamp(0, k - 1)] * factor, torch.zeros((), dtype=taps.dtype))


def down_matrix(taps: torch.Tensor, length: int, factor: int) -> torch.Tensor:
    """[out, length]: convolve with `taps` without padding, keep every `factor`-th sample."""
    k = taps.numel()
    out = (length - k + factor) // factor
    i = torch.arange(out)[:, None]
    t = torch.arange(length)[None, :] - i * factor
    valid = (t >= 0) & (t < k)
    return torch.where(valid, taps.flip(0)[t.clamp(0, k - 1)], torch.zeros((), dtype=taps.dtype))


# Rows of a resampling matrix per block: large enough for BLAS to run well, small enough that
# the column window of a block stays close to the block's own width.
BLOCK_ROWS = 64


class BandedMatrix:
    """A [out, in] resampling matrix kept as row blocks, each with the column window it reads."""

    def __init__(self, dense: torch.Tensor, dtype: torch.dtype, device: torch.device | str) -> None:
        self.shape = tuple(dense.shape)
        self.blocks = []
        for r0 in range(0, dense.shape[0], BLOCK_ROWS):
            rows = dense[r0 : r0 + BLOCK_ROWS]
            used = rows.ne(0).any(dim=0).nonzero()
            c0, c1 = (int(used.min()), int(used.max()) + 1) if used.numel() else (0, 1)
            block = rows[:, c0:c1].to(device, dtype)
            self.blocks.append((c0, c1, block.contiguous(), block.T.contiguous()))

    def along_width(self, x: torch.Tensor) -> torch.Tensor:
        """x [..., in] -> [..., out]: x times this matrix transposed."""
        return torch.cat([torch.matmul(x[..., c0:c1], block_t) for c0, c1, _, block_t in self.blocks], dim=-1)

    def along_height(self, x: torch.Tensor) -> torch.Tensor:
        """x [..., in, W] -> [..., out, W]: this matrix times x."""
        return torch.cat([torch.matmul(block, x[..., c0:c1, :]) for c0, c1, block, _ in self.blocks], dim=-2)


@dataclass
class Resampler:
    """The matrices of one layer's filtered leaky ReLU for one input size, in one dtype."""

    up: list[tuple[BandedMatrix, BandedMatrix]]  # (U_h, U_w) terms; empty: padding only
    down: list[tuple[BandedMatrix, BandedMatrix]]  # (D_h, D_w) terms; empty: stride only
    padding: tuple[int, int, int, int]
    down_factor: int

    @classmethod
    def build(
        cls,
        up_taps: torch.Tensor | None,
        down_taps: torch.Tensor | None,
        *,
        in_size: tuple[int, int],  # (h, w)
        up: int,
        down: int,
        padding: tuple[int, int, int, int],  # x0, x1, y0, y1
        dtype: torch.dtype,
        device: torch.device | str,
    ) -> "Resampler":
        if up_taps is None and up != 1:
            raise ValueError("up-sampling needs an up-sampling filter")
        h, w = in_size
        x0, x1, y0, y1 = padding
        ups = [
            (
                BandedMatrix(up_matrix(tv, h, up, y0, y1), dtype, device),
                BandedMatrix(up_matrix(th, w, up, x0, x1), dtype, device),
            )
            for tv, th in (separable_terms(up_taps) if up_taps is not None else [])
        ]
        if ups:
            h, w = ups[0][0].shape[0], ups[0][1].shape[0]
        else:
            h, w = h + y0 + y1, w + x0 + x1
        downs = [
            (
                BandedMatrix(down_matrix(tv, h, down), dtype, device),
                BandedMatrix(down_matrix(th, w, down), dtype, device),
            )
            for tv, th in (separable_terms(down_taps) if down_taps is not None else [])
        ]
        return cls(ups, downs, padding, down)

    def __call__(
        self, x: torch.Tensor, bias: torch.Tensor, *, gain: float, slope: float, clamp: float | None
    ) -> torch.Tensor:
        x = x + bias.to(x.dtype)[None, :, None, None]
        if self.up:
            x = _apply(x, self.up)
        elif any(self.padding):
            x = F.pad(x, self.padding)
        if slope != 1:
            x = F.leaky_relu(x, slope)
        if gain != 1:
            x = x.mul_(gain)
        if clamp is not None:
            x = x.clamp_(-clamp, clamp)
        if self.down:
            return _apply(x, self.down)
        d = self.down_factor
        return x[:, :, ::d, ::d] if d > 1 else x


def _apply(x: torch.Tensor, terms: list[tuple[BandedMatrix, BandedMatrix]]) -> torch.Tensor:
    out = None
    for vertical, horizontal in terms:
        y = vertical.along_height(horizontal.along_width(x))
        out = y if out is None else out.add_(y)
    return out


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
    """NVIDIA's `filtered_lrelu` (flip_filter False) on [N, C, H, W], building its matrices on the spot
    (a layer keeps its `Resampler` instead)."""
    resample = Resampler.build(
        up_taps,
        down_taps,
        in_size=x.shape[2:],
        up=up,
        down=down,
        padding=padding,
        dtype=x.dtype,
        device=x.device,
    )
    return resample(x, bias, gain=gain, slope=slope, clamp=clamp)
