"""Generator output -> uint8 pixels in ring buffers, with no allocation per frame.

The arithmetic is `to_uint8`'s (x * 127.5 + 128, clamped, truncated), done on the render
device into preallocated work buffers; on CUDA the pixels then travel to pinned host buffers
by asynchronous copies, waited for once per batch. (The screen's `sharp` picture, when the
engine makes it, is resampled through torch's own allocator: on CUDA a cached block.)
"""

from __future__ import annotations

import torch

from installation.engine.resample import sharp_resize_torch


class FrameConverter:
    def __init__(self, device: torch.device) -> None:
        self.device = torch.device(device)
        self._cuda = self.device.type == "cuda"
        self._work: dict[tuple[int, ...], torch.Tensor] = {}

    def _buffer(self, key: str, shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
        buffer = self._work.get((key, *shape))
        if buffer is None:
            buffer = self._work[(key, *shape)] = torch.empty(shape, dtype=dtype, device=self.device)
        return buffer

    def convert(
        self,
        images: torch.Tensor,
        buffers: list[torch.Tensor],
        shown: list[torch.Tensor] | None = None,
        sharpen: float = 0.0,
    ) -> None:
        """Write images [B, C, H, W] (float, about [-1, 1], on the device) into B host buffers
        [H, W, 3]. Gray models are shown gray, an alpha channel is dropped. With `shown` (B host
        buffers [h, w, 3]), also the pixels resampled to that size by `sharp_resize_torch`, on
        the device, so that only its result travels to the host."""
        n, c, h, w = images.shape
        scaled = self._buffer("f", (n, c, h, w), torch.float32)
        torch.mul(images, 127.5, out=scaled).add_(128).clamp_(0, 255)
        hwc = scaled.permute(0, 2, 3, 1)
        hwc = hwc.expand(n, h, w, 3) if c == 1 else hwc[..., :3]
        if not self._cuda:
            for i, buffer in enumerate(buffers):
                buffer.copy_(hwc[i])  # the float -> uint8 cast truncates, as .to(torch.uint8)
            if shown:
                _copy_all(_sharp(torch.stack(buffers), shown, sharpen), shown, non_blocking=False)
            return
        pixels = self._buffer("u8", (n, h, w, 3), torch.uint8)
        pixels.copy_(hwc)
        _copy_all(pixels, buffers, non_blocking=True)
        if shown:
            _copy_all(_sharp(pixels, shown, sharpen), shown, non_blocking=True)
        torch.cuda.current_stream(self.device).synchronize()


def _sharp(pixels: torch.Tensor, shown: list[torch.Tensor], sharpen: float) -> torch.Tensor:
    height, width = shown[0].shape[:2]
    return sharp_resize_torch(pixels, (width, height), sharpen)


def _copy_all(source: torch.Tensor, buffers: list[torch.Tensor], non_blocking: bool) -> None:
    for i, buffer in enumerate(buffers):
        buffer.copy_(source[i], non_blocking=non_blocking)
