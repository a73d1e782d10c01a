"""Encoded bytes -> upright 8-bit BGR pixels, whatever the file held (gray, CMYK, alpha, 16 bit)."""

from __future__ import annotations

import cv2
import numpy as np

from installation.dataset import exif, jpeg
from installation.dataset.errors import Skip
from installation.dataset.options import BGR

# libjpeg can decode straight to 1/2, 1/4 or 1/8 size by dropping DCT coefficients: several
# times faster than a full decode of a 12-megapixel photo that is going to shrink anyway.
_JPEG_FLAGS = {
    1: cv2.IMREAD_COLOR,
    2: cv2.IMREAD_REDUCED_COLOR_2,
    4: cv2.IMREAD_REDUCED_COLOR_4,
    8: cv2.IMREAD_REDUCED_COLOR_8,
}


def probe_size(data: bytes) -> tuple[int, int] | None:
    """Upright (width, height) of a JPEG read from its header alone; None for other formats."""
    if not data.startswith(jpeg.MAGIC):
        return None
    stored = jpeg.size(data)
    if stored is None:
        return None
    width, height = stored
    return (height, width) if exif.swaps_axes(exif.orientation(data)) else (width, height)


def decode(data: bytes, background: BGR, reduction: int = 1) -> np.ndarray:
    """Decode to upright HxWx3 uint8 BGR; `reduction` (1, 2, 4, 8) shrinks JPEGs while decoding.

    Raises Skip with a reason for anything that is not a complete, decodable picture.
    """
    buffer = np.frombuffer(data, np.uint8)
    if data.startswith(jpeg.MAGIC):
        if not jpeg.is_complete(data):
            raise Skip("truncated JPEG (the file ends before its end-of-image marker)")
        # JPEG has no alpha; IMREAD_COLOR turns gray and CMYK (Adobe) into BGR for us.
        image = cv2.imdecode(buffer, _JPEG_FLAGS[reduction] | cv2.IMREAD_IGNORE_ORIENTATION)
    else:
        # UNCHANGED keeps alpha and 16-bit samples, and leaves orientation alone.
        image = cv2.imdecode(buffer, cv2.IMREAD_UNCHANGED)
    if image is None or image.size == 0:
        raise Skip("not a readable image (OpenCV cannot decode it)")
    return exif.apply_orientation(_to_bgr(image, background), exif.orientation(data))


def _to_bgr(image: np.ndarray, background: BGR) -> np.ndarray:
    if image.dtype == np.uint16:
        image = cv2.convertScaleAbs(image, alpha=255 / 65535)
    elif image.dtype != np.uint8:
        raise Skip(f"unsupported sample type {image.dtype} (only 8- and 16-bit images)")
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    channels = image.shape[2]
    if channels == 3:
        return image
    if channels == 4:
        return composite(image, background)
    if channels == 1:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    raise Skip(f"unsupported channel count {channels}")


def composite(bgra: np.ndarray, background: BGR) -> np.ndarray:
    """Lay a BGRA picture over a solid background color."""
    alpha = bgra[..., 3:4].astype(np.float32) * (1 / 255)
    color = bgra[..., :3].astype(np.float32)
    blended = color * alpha + np.asarray(background, np.float32) * (1 - alpha)
    return (blended + 0.5).astype(np.uint8)
