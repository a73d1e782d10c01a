"""Where a frame goes on a screen of another size: fit (bars), fill (crop) or stretch.

`placement` gives the rectangles SDL draws with; `compose` does the same on the CPU for files
(offline video at another size) and for checking what the window shows.
"""

from __future__ import annotations

import numpy as np

MODES = ("fit", "fill", "stretch")
Rect = tuple[int, int, int, int]  # x, y, width, height


def placement(frame: tuple[int, int], screen: tuple[int, int], mode: str) -> tuple[Rect, Rect]:
    """(area of the frame to show, area of the screen to show it in), sizes as (width, height)."""
    fw, fh = frame
    sw, sh = screen
    whole_frame, whole_screen = (0, 0, fw, fh), (0, 0, sw, sh)
    if mode == "stretch":
        return whole_frame, whole_screen
    if mode == "fit":
        scale = min(sw / fw, sh / fh)
        w, h = max(1, round(fw * scale)), max(1, round(fh * scale))
        return whole_frame, ((sw - w) // 2, (sh - h) // 2, w, h)
    if mode == "fill":
        scale = max(sw / fw, sh / fh)
        w, h = min(fw, max(1, round(sw / scale))), min(fh, max(1, round(sh / scale)))
        return ((fw - w) // 2, (fh - h) // 2, w, h), whole_screen
    raise ValueError(f"mode must be one of {MODES}, not {mode!r}")


def compose(
    image: np.ndarray, screen: tuple[int, int], mode: str, background: tuple[int, int, int] = (0, 0, 0)
) -> np.ndarray:
    """`image` [H, W, 3] placed on a (width, height) canvas the way the window shows it."""
    import cv2

    (fx, fy, fw, fh), (x, y, w, h) = placement((image.shape[1], image.shape[0]), screen, mode)
    canvas = np.empty((screen[1], screen[0], 3), dtype=np.uint8)
    canvas[:] = background
    shrinking = w < fw or h < fh
    crop = image[fy : fy + fh, fx : fx + fw]
    canvas[y : y + h, x : x + w] = cv2.resize(
        crop, (w, h), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    )
    return canvas


def parse_size(text: str) -> tuple[int, int]:
    """'1280x720' -> (1280, 720), or a one-line UserError."""
    from installation.errors import UserError

    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise UserError(f"bad size {text!r}: use WIDTHxHEIGHT, e.g. 1280x720") from None
    if not (16 <= width <= 16384 and 16 <= height <= 16384):
        raise UserError(f"bad size {text!r}: each side from 16 to 16384 pixels")
    return width, height
