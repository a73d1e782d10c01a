"""Any picture -> a square of the output size: center crop, pad, stretch or smart crop."""

from __future__ import annotations

import cv2
import numpy as np

from installation.dataset.options import BGR

# Smart crop measures detail on a copy this long, to cost the same for every input size.
_DETAIL_SIDE = 256
# The most detailed window wins, but among near-equals the middle one: a flat picture is
# center-cropped instead of pushed to an edge by noise.
_CENTER_PREFERENCE = 0.05


def decode_reduction(size: tuple[int, int] | None, out_size: int, mode: str) -> int:
    """The largest JPEG decode reduction (1, 2, 4, 8) that still leaves enough pixels."""
    if size is None:
        return 1
    side = max(size) if mode == "pad" else min(size)
    for factor in (8, 4, 2):
        if side // factor >= out_size:
            return factor
    return 1


def square(image: np.ndarray, size: int, mode: str, pad_fill: BGR | None) -> np.ndarray:
    """A size x size BGR picture made from `image` by the crop `mode`."""
    if mode == "stretch":
        return resize(image, size, size)
    if mode == "pad":
        return _pad(image, size, pad_fill)
    height, width = image.shape[:2]
    side = min(height, width)
    offset = _smart_offset(image) if mode == "smart" else (max(height, width) - side) // 2
    window = image[:, offset : offset + side] if width > height else image[offset : offset + side]
    return resize(window, size, size)


def resize(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """High-quality resize: area averaging to shrink, Lanczos to enlarge.

    An axis that shrinks while the other grows is done in two passes so that each axis gets
    the filter that suits it.
    """
    old_height, old_width = image.shape[:2]
    if (old_width, old_height) == (width, height):
        return image
    shrink_x, shrink_y = width <= old_width, height <= old_height
    if shrink_x and shrink_y:
        return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
    if not shrink_x and not shrink_y:
        return cv2.resize(image, (width, height), interpolation=cv2.INTER_LANCZOS4)
    if shrink_x:
        image = cv2.resize(image, (width, old_height), interpolation=cv2.INTER_AREA)
    else:
        image = cv2.resize(image, (old_width, height), interpolation=cv2.INTER_AREA)
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_LANCZOS4)


def _pad(image: np.ndarray, size: int, fill: BGR | None) -> np.ndarray:
    # Resize first, pad after: the border is made at output size, never at 12 megapixels.
    height, width = image.shape[:2]
    scale = size / max(height, width)
    new_width = max(1, min(size, round(width * scale)))
    new_height = max(1, min(size, round(height * scale)))
    image = resize(image, new_width, new_height)
    top, left = (size - new_height) // 2, (size - new_width) // 2
    bottom, right = size - new_height - top, size - new_width - left
    if fill is None:
        return cv2.copyMakeBorder(image, top, bottom, left, right, cv2.BORDER_REFLECT)
    return cv2.copyMakeBorder(image, top, bottom, left, right, cv2.BORDER_CONSTANT, value=fill)


def _smart_offset(image: np.ndarray) -> int:
    """Where along the long axis the square window holds the most edge detail."""
    height, width = image.shape[:2]
    long_side, side = max(height, width), min(height, width)
    if long_side == side:
        return 0
    scale = min(1.0, _DETAIL_SIDE / long_side)
    small = cv2.resize(
        image, (max(1, round(width * scale)), max(1, round(height * scale))), interpolation=cv2.INTER_AREA
    )
    gray = cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), (3, 3), 0)
    gx = cv2.Sobel(gray, cv2.CV_32F, 1, 0)
    gy = cv2.Sobel(gray, cv2.CV_32F, 0, 1)
    detail = cv2.magnitude(gx, gy)
    profile = detail.sum(axis=0 if width > height else 1)
    window = max(1, min(len(profile), round(side * scale)))
    sums = np.convolve(profile, np.ones(window, np.float32), mode="valid")
    if sums.max() > 0:
        sums /= sums.max()
    distance = np.abs(np.arange(len(sums)) - (len(sums) - 1) / 2) / max(len(sums) / 2, 1)
    best = int(np.argmax(sums - _CENTER_PREFERENCE * distance))
    return min(long_side - side, round(best / scale))
