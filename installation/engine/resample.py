"""`display.scale = "sharp"` on the render device: OpenCV's bicubic (or area) resize and unsharp
mask (display/scaling.py's `sharp_resize`) in torch, for frames that are still tensors there.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

SHARPEN_SIGMA = 1.0  # px of the blur the unsharp mask subtracts, at the screen's resolution


def scales_on_device(device: torch.device) -> bool:
    """Whether the engine resamples `sharp` frames on the render device (CUDA) rather than the
    screen on the host."""
    return device.type == "cuda"


def sharp_resize_torch(pixels: torch.Tensor, size: tuple[int, int], sharpen: float = 0.0) -> torch.Tensor:
    """`sharp_resize` of a batch, in torch on the pixels' own device: [N, H, W, 3] uint8 ->
    [N, h, w, 3] uint8 at `size` (w, h). Rounded to uint8 where OpenCV rounds (after the resize,
    and at the end), so the two differ by a level or two at most; except where one side grows
    and the other shrinks (display.fit = "stretch"), which OpenCV resamples by its area rule
    and this bicubically on the growing side."""
    x = pixels.permute(0, 3, 1, 2).float()
    x = _resampled(_resampled(x, size[1], axis=2), size[0], axis=3)
    x = x.clamp(0, 255).round()
    if sharpen > 0:
        x = x * (1.0 + sharpen) - _gaussian_blur(x, SHARPEN_SIGMA) * sharpen
    return x.round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).contiguous()


def _resampled(x: torch.Tensor, n_out: int, axis: int) -> torch.Tensor:
    """[N, C, H, W] resampled to `n_out` along `axis` (2: rows, 3: columns): each new pixel the
    mean of what it covers when shrinking (OpenCV's INTER_AREA), bicubic when growing (torch's
    bicubic is OpenCV's: a = -0.75, pixel centres at half steps; it is separable, so one axis
    at a time is the same arithmetic)."""
    n_in = x.shape[axis]
    if n_out == n_in:
        return x
    if n_out < n_in:
        weights = _area_weights(n_in, n_out, x.device)
        return torch.einsum("nchw,yh->ncyw" if axis == 2 else "nchw,xw->nchx", x, weights)
    size = (n_out, x.shape[3]) if axis == 2 else (x.shape[2], n_out)
    return F.interpolate(x, size=size, mode="bicubic", align_corners=False)


def _area_weights(n_in: int, n_out: int, device: torch.device) -> torch.Tensor:
    """[n_out, n_in]: how much of each input pixel each output pixel covers, over its width."""
    step = n_in / n_out
    edges = torch.arange(n_out + 1, dtype=torch.float64) * step
    first = torch.arange(n_in, dtype=torch.float64)[None, :]
    covered = torch.minimum(edges[1:, None], first + 1) - torch.maximum(edges[:-1, None], first)
    return (covered.clamp(min=0) / step).to(device=device, dtype=torch.float32)


def _gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """cv2.GaussianBlur(x, (0, 0), sigma) of [N, C, H, W] float: OpenCV's kernel size for uint8
    pictures (6 sigma + 1 taps) and its default border (reflected, edge pixel not repeated)."""
    radius = max(1, round(3 * sigma))
    taps = torch.arange(-radius, radius + 1, device=x.device, dtype=x.dtype)
    kernel = torch.exp(-(taps**2) / (2 * sigma**2))
    kernel = kernel / kernel.sum()
    c = x.shape[1]
    x = F.pad(x, (radius, radius, radius, radius), mode="reflect")
    x = F.conv2d(x, kernel.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    return F.conv2d(x, kernel.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)
