"""EXIF orientation: find the tag in JPEG, PNG and WebP files and turn the pixels upright.

The decoder is always asked to ignore orientation (OpenCV applies it for IMREAD_COLOR but not
for IMREAD_UNCHANGED, which alpha needs), so every format goes through this one code path.
"""

from __future__ import annotations

import struct

import cv2
import numpy as np

from installation.dataset import jpeg

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_ORIENTATION_TAG = 0x0112
_EXIF_HEADER = b"Exif\x00\x00"


def orientation(data: bytes) -> int:
    """The EXIF orientation (1..8) of an encoded picture; 1 (upright) when it has none."""
    blob = _exif_block(data)
    return _tiff_orientation(blob) if blob else 1


def swaps_axes(value: int) -> bool:
    """Orientations 5..8 turn the picture a quarter: width and height trade places."""
    return value >= 5


def apply_orientation(image: np.ndarray, value: int) -> np.ndarray:
    """Pixels as stored -> pixels as the camera meant them to be seen."""
    if value == 2:
        return cv2.flip(image, 1)
    if value == 3:
        return cv2.rotate(image, cv2.ROTATE_180)
    if value == 4:
        return cv2.flip(image, 0)
    if value == 5:
        return cv2.transpose(image)
    if value == 6:
        return cv2.rotate(image, cv2.ROTATE_90_CLOCKWISE)
    if value == 7:
        return cv2.rotate(cv2.transpose(image), cv2.ROTATE_180)
    if value == 8:
        return cv2.rotate(image, cv2.ROTATE_90_COUNTERCLOCKWISE)
    return image


def _exif_block(data: bytes) -> bytes | None:
    """The TIFF-structured EXIF block, wherever the container keeps it."""
    if data.startswith(jpeg.MAGIC):
        for marker, _, payload in jpeg.segments(data):
            if marker == 0xE1 and payload.startswith(_EXIF_HEADER):
                return payload[len(_EXIF_HEADER) :]
        return None
    if data.startswith(PNG_MAGIC):
        return _png_exif(data)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp_exif(data)
    return None


def _png_exif(data: bytes) -> bytes | None:
    pos = len(PNG_MAGIC)
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        if kind == b"eXIf":
            return data[pos + 8 : pos + 8 + length]
        if kind == b"IEND":
            return None
        pos += 12 + length  # length, type, data, CRC
    return None


def _webp_exif(data: bytes) -> bytes | None:
    pos = 12
    while pos + 8 <= len(data):
        kind = data[pos : pos + 4]
        length = int.from_bytes(data[pos + 4 : pos + 8], "little")
        if kind == b"EXIF":
            blob = data[pos + 8 : pos + 8 + length]
            # Some writers keep the JPEG-style "Exif\0\0" prefix, the specification does not.
            return blob[len(_EXIF_HEADER) :] if blob.startswith(_EXIF_HEADER) else blob
        pos += 8 + length + (length & 1)  # chunks are padded to an even size
    return None


def _tiff_orientation(blob: bytes) -> int:
    """Read tag 0x0112 from the first image directory; 1 for anything malformed."""
    order = {b"II": "<", b"MM": ">"}.get(blob[:2])
    if order is None or len(blob) < 8:
        return 1
    (first,) = struct.unpack(order + "I", blob[4:8])
    if first + 2 > len(blob):
        return 1
    (count,) = struct.unpack(order + "H", blob[first : first + 2])
    for entry in range(first + 2, min(first + 2 + 12 * count, len(blob) - 11), 12):
        tag, kind = struct.unpack(order + "HH", blob[entry : entry + 4])
        if tag == _ORIENTATION_TAG and kind == 3:  # SHORT, stored in the entry itself
            (value,) = struct.unpack(order + "H", blob[entry + 8 : entry + 10])
            return value if 1 <= value <= 8 else 1
    return 1
