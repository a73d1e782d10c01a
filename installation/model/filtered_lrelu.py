"""StyleGAN3's filtered leaky ReLU in plain PyTorch: up-sample, bias, leaky ReLU, gain, clamp, down-sample.

NVIDIA's reference (`upfirdn2d` twice around `bias_act`) zero-stuffs the activation, filters it with
depthwise convolutions and throws most filtered pixels away; on a CPU those depthwise convolutions
run at a small fraction of the machine's speed. Here each resampling along one axis is a
polyphase FIR written as one batched matrix product: the axis is cut into blocks of a few
outputs, every block reads a window of the (zero-padded) input through a strided view, and since
the filter is shift-invariant all blocks share one small [rows, window] matrix (zero-stuffing,
padding, taps, gain and stride folded in). The other axes and the channels form the product's
wide dimension, so BLAS streams through memory once per axis instead of once per tap.

The activation is kept as [H, W, features] (features = batch x channels, the channels-last
memory of a batch-1 conv output, so no copy there) while filtering along H, and as [W, H,
features] while filtering along W: the filtered axis is always the leading one, and two
transposes (at the half-way sizes) are the only extra passes.

A 1-D filter (the file's separable Kaiser taps) gives one band per axis. A 2-D filter (config R's
radially symmetric down-sampling filter) is split by SVD into a few separable terms, kept until the
rest is below float32 precision, applied as a short sum of the same products.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from installation.model.switches import Switch

# Separable terms of a 2-D filter whose singular value is below this fraction of the largest are
# dropped: together they change no output by more than float32 rounding.
SVD_RELATIVE_CUTOFF = 1e-7

# Outputs per block of an axis' matrix product, by dtype: the window a block reads is about
# rows / up + taps (or rows * down + taps) samples, so a bigger block wastes fewer products on the
# window's edges but multiplies more zeros inside it. Timed on StyleGAN3-T's 148 and 276 px layers
# on a Zen 4 CPU: 8 rows are fastest in float32, 32 in bfloat16 (whose small products run slower).
BLOCK_ROWS = {torch.float32: 8, torch.bfloat16: 32}
DEFAULT_BLOCK_ROWS = 16

# How an exported graph reads the blocks' overlapping windows: Inductor takes a strided view as
# it is (one product, no copy); ONNX has no strided views and runs one as a gather, so graphs
# for it read the windows through plain slices (`sliced_windows`).
_SLICED = Switch("sliced_windows")
sliced_windows = _SLICED.on  # within: graphs exported here read the windows through slices


def separable_terms(taps: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(vertical, horizontal) 1-D taps whose outer products sum to `taps` (1-D taps: one term)."""
    taps = taps.to(torch.float64)
    if taps.ndim == 1:
        return [(taps, taps)]
    u, s, vh = torch.linalg.svd(taps)
    keep = s > s[0] * SVD_RELATIVE_CUTOFF
    return [(u[:, k] * s[k].sqrt(), vh[k] * s[k].sqrt()) for k in range(int(keep.sum()))]


@dataclass
class Band:
    """One axis of a resampling: output i = row i % rows of `matrix` times the window of block
    i // rows, the `window` input samples from (i // rows) * step - lead on. Samples a window
    reaches before 0 or past the input's end are the zero padding: they are never read, since
    the blocks at the edges multiply only the part of the matrix that meets the input."""

    matrix: torch.Tensor  # [rows, window]
    step: int  # input samples between the windows of consecutive blocks
    lead: int  # how far block 0's window starts before input sample 0 (negative: after it)
    length: int
    out_len: int

    @classmethod
    def up(
        cls,
        taps: torch.Tensor,
        length: int,
        factor: int,
        pad_before: int,
        pad_after: int,
        rows: int,
        gain: float = 1.0,
    ) -> "Band":
        """Zero-stuff `length` samples by `factor`, pad (negative crops), convolve with `taps` x `factor`."""
        k = taps.numel()
        out_len = length * factor + pad_before + pad_after - k + 1
        first = -(pad_before // factor)  # input sample that block 0's window starts at
        window = (rows + k - 2 - pad_before) // factor - first + 1
        r = torch.arange(rows)[:, None]
        n = torch.arange(window)[None, :] + first
        t = k - 1 - pad_before - n * factor + r  # the tap joining output r to input n
        return cls._make(taps * (factor * gain), t, rows // factor, -first, length, out_len)

    @classmethod
    def down(cls, taps: torch.Tensor, length: int, factor: int, rows: int) -> "Band":
        """Convolve `length` samples with `taps` without padding, keep every `factor`-th."""
        k = taps.numel()
        out_len = (length - k) // factor + 1
        window = (rows - 1) * factor + k
        t = k - 1 - (torch.arange(window)[None, :] - torch.arange(rows)[:, None] * factor)
        return cls._make(taps, t, rows * factor, 0, length, out_len)

    @classmethod
    def _make(
        cls, taps: torch.Tensor, t: torch.Tensor, step: int, lead: int, length: int, out_len: int
    ) -> "Band":
        valid = (t >= 0) & (t < taps.numel())
        matrix = torch.where(valid, taps[t.clamp(0, taps.numel() - 1)], torch.zeros((), dtype=taps.dtype))
        return cls(matrix, step, lead, length, out_len)

    def to(self, dtype: torch.dtype, device: torch.device | str) -> "Band":
        return Band(self.matrix.to(device, dtype), self.step, self.lead, self.length, self.out_len)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """x [length, ...] (contiguous) -> [out_len, ...], resampled along its leading axis."""
        rest, wide = x.shape[1:], x[0].numel()
        source = x.view(self.length, wide)
        rows, window = self.matrix.shape
        blocks = -(-self.out_len // rows)
        if torch.compiler.is_exporting():
            out = self._sliced(source, blocks) if _SLICED else self._strided(source, blocks)
            return out.view(blocks * rows, *rest)[: self.out_len]
        out = x.new_empty(blocks, rows, wide)
        starts = [b * self.step - self.lead for b in range(blocks)]
        inside = [b for b, s in enumerate(starts) if s >= 0 and s + window <= self.length]
        if inside:  # one product for every block whose window lies within the input
            lo, hi = inside[0], inside[-1] + 1
            windows = source[starts[lo] :].as_strided((hi - lo, window, wide), (self.step * wide, wide, 1))
            torch.bmm(self.matrix.expand(hi - lo, -1, -1), windows, out=out[lo:hi])
        for b in (b for b in range(blocks) if not inside or not lo <= b < hi):
            c0, c1 = max(0, -starts[b]), min(window, self.length - starts[b])
            if c1 > c0:
                torch.matmul(self.matrix[:, c0:c1], source[starts[b] + c0 : starts[b] + c1], out=out[b])
            else:
                out[b].zero_()
        return out.view(blocks * rows, *rest)[: self.out_len]

    def _padded(self, source: torch.Tensor, span: int) -> torch.Tensor:
        """`span` samples from block 0's window start on, zeros outside the input: what an
        exported graph reads its windows from. A graph avoids the eager path's per-edge-block
        products and slice writes: several nodes each, and the ONNX exporter's optimiser slows
        with the square of the node count (the StyleGAN3-T fixture's export: 78 -> 20-35 s)."""
        start, end = -self.lead, span - self.lead
        inside = source[max(0, start) : min(self.length, end)]
        return F.pad(inside, (0, 0, max(0, -start), max(0, end - self.length)))

    def _strided(self, source: torch.Tensor, blocks: int) -> torch.Tensor:
        """Every block in one product over the windows as one strided view of the padded input."""
        window, wide = self.matrix.shape[1], source.shape[1]
        padded = self._padded(source, (blocks - 1) * self.step + window)
        windows = padded.as_strided((blocks, window, wide), (self.step * wide, wide, 1))
        return torch.matmul(self.matrix, windows)

    def _sliced(self, source: torch.Tensor, blocks: int) -> torch.Tensor:
        """Every block at once with no strided view: the padded input cut into chunks of `step`
        samples, so a block's window is `chunks` consecutive chunks and its product a sum of
        products of the matrix's column slices with plain slices of the chunks."""
        rows, window = self.matrix.shape
        chunks = -(-window // self.step)
        padded = self._padded(source, (blocks + chunks - 1) * self.step)
        cut = padded.view(blocks + chunks - 1, self.step, source.shape[1])
        matrix = F.pad(self.matrix, (0, chunks * self.step - window))  # zero columns: whole chunks
        out = None
        for j in range(chunks):
            part = torch.matmul(matrix[:, j * self.step : (j + 1) * self.step], cut[j : j + blocks])
            out = part if out is None else out + part
        return out


@dataclass
class Resampler:
    """The bands of one layer's filtered leaky ReLU for one input size, in one dtype."""

    up: list[tuple[Band, Band]]  # (vertical, horizontal) terms; empty: nothing to resample
    down: list[tuple[Band, Band]]
    gain: float  # applied on its own only when there is nothing to resample (else folded into `up`)

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
        gain: float,
        dtype: torch.dtype,
        device: torch.device | str,
    ) -> "Resampler":
        if up_taps is None and up != 1:
            raise ValueError("up-sampling needs an up-sampling filter")
        rows = BLOCK_ROWS.get(dtype, DEFAULT_BLOCK_ROWS)
        if gain <= 0 or rows % up:
            raise ValueError(f"filtered_lrelu needs a positive gain and an up factor dividing {rows}")
        h, w = in_size
        x0, x1, y0, y1 = padding
        identity = torch.ones(1, dtype=torch.float64)
        if up_taps is None and down_taps is None and down == 1 and not any(padding):
            return cls([], [], gain)
        # gain * lrelu(v) == lrelu(gain * v) for gain > 0: the gain rides in the up-sampling taps.
        ups = [
            (
                Band.up(tv, h, up, y0, y1, rows).to(dtype, device),
                Band.up(th, w, up, x0, x1, rows, gain).to(dtype, device),
            )
            for tv, th in separable_terms(up_taps if up_taps is not None else identity)
        ]
        h, w = ups[0][0].out_len, ups[0][1].out_len
        downs = [
            (Band.down(tv, h, down, rows).to(dtype, device), Band.down(th, w, down, rows).to(dtype, device))
            for tv, th in separable_terms(down_taps if down_taps is not None else identity)
        ]
        return cls(ups, downs, gain)

    def __call__(self, x: torch.Tensor, *, slope: float, clamp: float | None) -> torch.Tensor:
        """x [N, C, H, W], a fresh tensor with the bias added (changed in place) -> [N, C, H', W']."""
        if not self.up:
            return _activate(x.mul_(self.gain) if self.gain != 1 else x, slope, clamp)
        n, c, h, w = x.shape
        hwf = x.permute(2, 3, 0, 1).reshape(h, w, n * c).contiguous()  # no copy for a channels-last frame
        wide = _activate(_sum_terms(self.up, hwf), slope, clamp)  # [W', H', N*C]
        out = _sum_terms([(horizontal, vertical) for vertical, horizontal in self.down], wide)
        return out.view(*out.shape[:2], n, c).permute(2, 3, 0, 1)


def _sum_terms(terms: list[tuple[Band, Band]], x: torch.Tensor) -> torch.Tensor:
    """Σ second(first(x) with its two leading axes swapped), for x [A, B, F] -> [B', A', F].
    Summed in place, but not in an exported graph (as `_activate`)."""
    out = None
    for first, second in terms:
        y = second(first(x).transpose(0, 1).contiguous())
        if out is None:
            out = y
        else:
            out = out + y if torch.compiler.is_exporting() else out.add_(y)
    return out


def _activate(x: torch.Tensor, slope: float, clamp: float | None) -> torch.Tensor:
    """Leaky ReLU and clamp, in place: x is always a fresh tensor of this layer's. Out of place
    in an exported graph, where writing into a view becomes a scatter back into its base."""
    if torch.compiler.is_exporting():
        x = x if slope == 1 else F.leaky_relu(x, slope)
        return x if clamp is None else x.clamp(-clamp, clamp)
    if slope != 1:
        x = F.leaky_relu_(x, slope)
    return x if clamp is None else x.clamp_(-clamp, clamp)


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
    """NVIDIA's `filtered_lrelu` (flip_filter False) on [N, C, H, W], building its bands on the spot
    (a layer keeps its `Resampler` instead)."""
    resample = Resampler.build(
        up_taps,
        down_taps,
        in_size=x.shape[2:],
        up=up,
        down=down,
        padding=padding,
        gain=gain,
        dtype=x.dtype,
        device=x.device,
    )
    return resample(x + bias.to(x.dtype)[None, :, None, None], slope=slope, clamp=clamp)
