"""Real test files for `prep`, generated: scenes, EXIF-tagged JPEGs, a CMYK JPEG, a video."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import cv2
import numpy as np


def scene(seed: int, width: int, height: int) -> np.ndarray:
    """A smooth random BGR picture with a few shapes: distinct per seed, robust to resizing."""
    rng = np.random.default_rng(seed)
    image = cv2.resize(
        rng.integers(0, 256, (5, 7, 3), dtype=np.uint8), (width, height), interpolation=cv2.INTER_CUBIC
    )
    for _ in range(4):
        center = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        color = tuple(int(c) for c in rng.integers(0, 256, 3))
        cv2.circle(image, center, int(rng.integers(height // 10, height // 3)), color, -1)
    return image


def jpeg(image: np.ndarray, quality: int = 92) -> bytes:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return data.tobytes()


def png(image: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".png", image)
    assert ok
    return data.tobytes()


def _tiff_orientation(value: int, order: str = "<") -> bytes:
    header = (b"II*\x00" if order == "<" else b"MM\x00*") + struct.pack(order + "I", 8)
    entry = struct.pack(order + "HHIHH", 0x0112, 3, 1, value, 0)
    return header + struct.pack(order + "H", 1) + entry + struct.pack(order + "I", 0)


def with_exif_orientation(data: bytes, value: int, order: str = "<") -> bytes:
    """A JPEG with an APP1 EXIF segment holding only the orientation tag, right after SOI."""
    payload = b"Exif\x00\x00" + _tiff_orientation(value, order)
    segment = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    return data[:2] + segment + data[2:]


def png_with_exif_orientation(data: bytes, value: int) -> bytes:
    """A PNG with an eXIf chunk inserted after IHDR."""
    body = _tiff_orientation(value, ">")
    chunk = struct.pack(">I", len(body)) + b"eXIf" + body + struct.pack(">I", zlib.crc32(b"eXIf" + body))
    end_of_ihdr = 8 + 8 + 13 + 4
    return data[:end_of_ihdr] + chunk + data[end_of_ihdr:]


def cmyk_jpeg(blocks: np.ndarray) -> bytes:
    """A baseline Adobe CMYK JPEG, flat 8x8 blocks: `blocks[row, col]` is (C, M, Y, K) ink, 0..255.

    Pillow is not a dependency and OpenCV cannot write CMYK, so this encodes the smallest
    valid thing by hand: DC coefficients only, one block per component per MCU, no
    subsampling, Adobe's inverted CMYK as Photoshop writes it.
    """
    rows, cols = blocks.shape[:2]
    dc_bits = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]
    dc_values = list(range(12))
    codes = _huffman_codes(dc_bits, dc_values)
    out = bytearray(b"\xff\xd8")
    adobe = b"Adobe" + struct.pack(">HHHB", 100, 0, 0, 0)  # transform 0: CMYK as is
    out += b"\xff\xee" + struct.pack(">H", len(adobe) + 2) + adobe
    quant = bytes([8] + [1] * 63)  # DC step 8: a quantized DC is then the block mean - 128
    out += b"\xff\xdb" + struct.pack(">H", 67) + b"\x00" + quant
    frame = struct.pack(">BHHB", 8, rows * 8, cols * 8, 4)
    frame += b"".join(struct.pack(">BBB", i + 1, 0x11, 0) for i in range(4))
    out += b"\xff\xc0" + struct.pack(">H", len(frame) + 2) + frame
    dc_table = b"\x00" + bytes(dc_bits) + bytes(dc_values)
    ac_table = b"\x10" + bytes([1] + [0] * 15) + b"\x00"  # one symbol: end-of-block, code '0'
    out += b"\xff\xc4" + struct.pack(">H", len(dc_table) + len(ac_table) + 2) + dc_table + ac_table
    scan = b"\x04" + b"".join(struct.pack(">BB", i + 1, 0x00) for i in range(4)) + b"\x00\x3f\x00"
    out += b"\xff\xda" + struct.pack(">H", len(scan) + 2) + scan
    bits: list[int] = []
    previous = [0, 0, 0, 0]
    for row in range(rows):
        for col in range(cols):
            for component in range(4):
                stored = 255 - int(blocks[row, col, component])  # Adobe stores CMYK inverted
                value = stored - 128
                diff, previous[component] = value - previous[component], value
                size = abs(diff).bit_length()
                bits += codes[size]
                if size:
                    extra = diff if diff > 0 else diff + (1 << size) - 1
                    bits += [(extra >> i) & 1 for i in range(size - 1, -1, -1)]
                bits.append(0)  # end of block: all AC coefficients are zero
    bits += [1] * (-len(bits) % 8)
    for i in range(0, len(bits), 8):
        byte = int("".join(map(str, bits[i : i + 8])), 2)
        out += bytes([byte, 0]) if byte == 0xFF else bytes([byte])
    return bytes(out + b"\xff\xd9")


def _huffman_codes(counts: list[int], values: list[int]) -> dict[int, list[int]]:
    """Canonical Huffman codes (JPEG Annex C) as bit lists."""
    codes, code, index = {}, 0, 0
    for length, count in enumerate(counts, start=1):
        for _ in range(count):
            codes[values[index]] = [(code >> i) & 1 for i in range(length - 1, -1, -1)]
            code, index = code + 1, index + 1
        code <<= 1
    return codes


def write_video(path: Path, scenes: list[np.ndarray], fps: int, seconds_each: float) -> None:
    """An MJPEG AVI showing each scene for `seconds_each` seconds."""
    height, width = scenes[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (width, height))
    assert writer.isOpened()
    for picture in scenes:
        for _ in range(round(fps * seconds_each)):
            writer.write(picture)
    writer.release()
