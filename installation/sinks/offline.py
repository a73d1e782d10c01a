"""Rendering a show to files, deterministically: frame k is the picture at t = k / fps."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from installation.backends.base import Backend
from installation.display.layout import compose
from installation.engine.convert import FrameConverter
from installation.engine.latents import LatentSource, render_latents
from installation.sinks.base import Sink
from installation.sinks.progress import Progress


def frame_times(seconds: float, fps: float, cover: bool = False) -> list[float]:
    """t = k / fps for the frames of `seconds`. Computed from k, not summed, so a duration of
    one loop period ends one frame before the loop closes: played in a loop, no seam. With
    `cover`, enough frames to last at least `seconds` (a song: no sound after the picture)."""
    count = math.ceil(seconds * fps - 1e-9) if cover else round(seconds * fps)
    return [k / fps for k in range(count)]


def render_offline(
    backend: Backend,
    source: LatentSource,
    times: Sequence[float],
    sinks: Sequence[Sink],
    *,
    stop_res: int | None = None,
    size: tuple[int, int] | None = None,
    mode: str = "fit",
    background: tuple[int, int, int] = (0, 0, 0),
    batch: int = 1,
    progress: Progress | None = None,
) -> None:
    """Render the frames at `times` in batches and hand each to every sink, placed on a
    (width, height) canvas by `mode` when `size` is given."""
    converter = FrameConverter(backend.device)
    buffers: list[torch.Tensor] = []
    for start in range(0, len(times), batch):
        chunk = list(times[start : start + batch])
        with torch.inference_mode():
            images = render_latents(backend, source.latents(chunk), stop_res)
            n, _, h, w = images.shape
            if not buffers or tuple(buffers[0].shape) != (h, w, 3):
                buffers = [torch.empty((h, w, 3), dtype=torch.uint8) for _ in range(batch)]
            converter.convert(images, buffers[:n])
        for buffer in buffers[:n]:
            image = buffer.numpy()
            if size is not None and size != (w, h):
                image = compose(image, size, mode, background)
            for sink in sinks:
                sink.write(image)
        if progress is not None:
            progress.advance(n)


def advance_source(source: LatentSource, times: Sequence[float], batch: int = 1) -> None:
    """Move `source` through `times` in the batches `render_offline` reads them in, rendering
    nothing: its state (the motion clock, a song's envelopes) is then what a render of those
    frames leaves, and the next frames render as they would have after them."""
    with torch.inference_mode():  # as render_offline reads them
        for start in range(0, len(times), batch):
            source.latents(list(times[start : start + batch]))
