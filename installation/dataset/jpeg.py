"""Just enough of the JPEG container to read a header without decoding the picture."""

from __future__ import annotations

from collections.abc import Iterator

MAGIC = b"\xff\xd8\xff"
SOS = 0xDA
EOI = b"\xff\xd9"
# Start-of-frame markers C0..CF carry the picture size; C4 (DHT), C8 (reserved) and CC (DAC)
# share the range but are not frames.
_FRAME_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# Markers that stand alone, with no length field after them.
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})


def segments(data: bytes) -> Iterator[tuple[int, int, bytes]]:
    """(marker, offset, payload) of each header segment, up to and including the first SOS."""
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return  # not a marker where one must be: a corrupt header; the decoder will say so
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte before a marker
            pos += 1
            continue
        if marker in _STANDALONE:
            pos += 2
            continue
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        yield marker, pos, data[pos + 4 : pos + 2 + length]
        if marker == SOS:
            return
        pos += 2 + length


def size(data: bytes) -> tuple[int, int] | None:
    """(width, height) as stored, before any EXIF orientation; None when no frame header."""
    for marker, _, payload in segments(data):
        if marker in _FRAME_MARKERS and len(payload) >= 5:
            height = int.from_bytes(payload[1:3], "big")
            width = int.from_bytes(payload[3:5], "big")
            return (width, height) if width and height else None
    return None


def is_complete(data: bytes) -> bool:
    """True when an end-of-image marker follows the first scan.

    Entropy-coded data never contains FF D9 (FF bytes are stuffed), so a missing EOI after
    the scan means the file was cut short. OpenCV before 4.10 returns such pictures with a
    gray bottom instead of failing; checking here keeps them out on every version.
    """
    scan = next((pos for marker, pos, _ in segments(data) if marker == SOS), None)
    return scan is not None and data.rfind(EOI) > scan
