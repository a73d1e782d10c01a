"""How a frame is scaled up to the screen: crisp pixels, bilinear, or sharp (bicubic + unsharp).

`nearest` and `linear` are SDL's own texture filters (on the GPU where the renderer is). `sharp`
resamples each new frame once, bicubically, to the exact size it is drawn at, with an optional
unsharp mask, then SDL draws it 1:1. A 64 px frame stretched bilinearly over 1080p is a blur;
bicubic keeps its edges. `auto` is sharp when the frame is under half the drawn size. (OpenCV's
Lanczos-4 was measured 10-20x slower than its bicubic here: 55-150 ms a frame, too slow for a
display loop on the CPU.)

Where the model renders on CUDA, the engine does `sharp` there instead (`sharp_resize_torch`
in installation/engine/resample.py, the same arithmetic in torch) before the frame leaves the
device, and hands the screen the result with the frame (`Frame.shown`); the screen then only
uploads it. On a CPU the screen resamples with OpenCV as above (`scales_on_device` is that
choice).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from installation.display.layout import placement
from installation.engine.resample import SHARPEN_SIGMA

SCALES = ("auto", "nearest", "linear", "sharp")


def chosen_scale(scale: str, frame: tuple[int, int], drawn: tuple[int, int]) -> str:
    """The filter for a frame of `frame` (w, h) drawn at `drawn` (w, h): 'auto' resolved."""
    if scale != "auto":
        return scale
    small = frame[0] * 2 <= drawn[0] and frame[1] * 2 <= drawn[1]
    return "sharp" if small else "linear"


def sharp_resize(pixels: np.ndarray, size: tuple[int, int], sharpen: float = 0.0) -> np.ndarray:
    """`pixels` [H, W, 3] uint8 resampled bicubically to `size` (w, h), then, with `sharpen`
    above 0, an unsharp mask of that strength (0.5 is mild)."""
    import cv2

    shrinking = size[0] < pixels.shape[1] or size[1] < pixels.shape[0]
    scaled = cv2.resize(pixels, size, interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC)
    if sharpen <= 0:
        return scaled
    blurred = cv2.GaussianBlur(scaled, (0, 0), SHARPEN_SIGMA)
    return cv2.addWeighted(scaled, 1.0 + sharpen, blurred, -sharpen, 0.0)


def drawn_size(frame: tuple[int, int], placed: tuple[int, int, int, int], src: tuple[int, int, int, int]):
    """The size the whole frame takes on screen when its `src` area is drawn into `placed`."""
    _, _, sw, sh = src
    _, _, dw, dh = placed
    return max(1, round(frame[0] * dw / sw)), max(1, round(frame[1] * dh / sh))


@dataclass(frozen=True)
class ScreenScale:
    """What the screen does with a frame now, for the engine's thread: its filter, sharpen,
    fit mode and window size (a snapshot: the screen makes a new one when any changes)."""

    scale: str
    sharpen: float
    mode: str
    window: tuple[int, int]

    def sharp_size(self, frame: tuple[int, int]) -> tuple[int, int] | None:
        """The size a frame of `frame` (w, h) is resampled to for `sharp`, or None when this
        screen draws it with another filter."""
        src, dst = placement(frame, self.window, self.mode)
        drawn = drawn_size(frame, dst, src)
        return drawn if chosen_scale(self.scale, frame, drawn) == "sharp" else None
