"""Settings of one `prep` run, and the parsing of the colors they name."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from installation.errors import UserError

# NVIDIA's trainers take any power of two: 128 for a quick experiment, 1024 for FFHQ, 2048 exists.
MIN_SIZE, MAX_SIZE = 16, 4096
CROPS = ("center", "pad", "stretch", "smart")
# Bump when a change to the processing makes earlier cached outputs wrong: it is part of the
# cache key, so a resumed run never mixes pictures made by two versions.
PROCESS_VERSION = 1

BGR = tuple[int, int, int]

_NAMED = {
    "black": (0, 0, 0),
    "white": (255, 255, 255),
    "gray": (128, 128, 128),
    "grey": (128, 128, 128),
    "red": (255, 0, 0),
    "green": (0, 128, 0),
    "blue": (0, 0, 255),
}


def parse_color(text: str) -> BGR:
    """'white', '#ff8800', 'ff8800', '#f80' or '255,136,0' (RGB) -> a BGR tuple for OpenCV."""
    value = text.strip().lower()
    if value in _NAMED:
        rgb = _NAMED[value]
    elif re.fullmatch(r"#?[0-9a-f]{6}", value):
        digits = value.lstrip("#")
        rgb = tuple(int(digits[i : i + 2], 16) for i in (0, 2, 4))
    elif re.fullmatch(r"#?[0-9a-f]{3}", value):
        rgb = tuple(int(d * 2, 16) for d in value.lstrip("#"))
    elif re.fullmatch(r"\d{1,3},\d{1,3},\d{1,3}", value.replace(" ", "")):
        rgb = tuple(int(p) for p in value.replace(" ", "").split(","))
        if max(rgb) > 255:
            raise UserError(f"color {text!r}: components must be 0..255")
    else:
        raise UserError(f"color {text!r}: use a name ({', '.join(_NAMED)}), #rrggbb or r,g,b")
    r, g, b = rgb
    return (b, g, r)


def color_name(bgr: BGR) -> str:
    b, g, r = bgr
    return f"#{r:02x}{g:02x}{b:02x}"


def check_size(size: int) -> None:
    """The output side of a training set: a power of two, as NVIDIA's trainers need."""
    if not MIN_SIZE <= size <= MAX_SIZE or size & (size - 1):
        raise UserError(
            f"--size must be a power of two from {MIN_SIZE} to {MAX_SIZE} (128, 256, 512, 1024, ...), "
            f"not {size}: NVIDIA's trainers need one"
        )


@dataclass(frozen=True)
class PrepOptions:
    size: int = 512
    crop: str = "center"
    pad_fill: BGR | None = (0, 0, 0)  # None: mirror the image's edges into the padding
    background: BGR = (255, 255, 255)  # behind transparent pixels
    min_size: int | None = None  # None: half the output size
    video_every: float = 1.0
    dedupe: int = 6  # Hamming distance between 64-bit pHashes; 0 keeps near-duplicates
    xflip: bool = False
    labels_from_folders: bool = False
    workers: int = 2  # 0: process in this process (tests, debugging)
    overwrite: bool = False

    def __post_init__(self) -> None:
        check_size(self.size)
        if self.crop not in CROPS:
            raise UserError(f"--crop must be one of {', '.join(CROPS)}, not {self.crop!r}")
        if self.min_size is not None and self.min_size < 1:
            raise UserError("--min-size must be at least 1 pixel")
        if not self.video_every > 0:
            raise UserError("--video-every must be a positive number of seconds")
        if not 0 <= self.dedupe <= 64:
            raise UserError("--dedupe is a Hamming distance between 64-bit hashes: 0..64")
        if self.workers < 0:
            raise UserError("--workers cannot be negative")

    @property
    def smallest_side(self) -> int:
        """Sources whose shorter side is below this are skipped."""
        return self.min_size if self.min_size is not None else self.size // 2

    def fingerprint(self) -> str:
        """Everything that changes one source's processed pictures: part of the cache key."""
        return json.dumps(
            [
                PROCESS_VERSION,
                self.size,
                self.crop,
                self.pad_fill,
                self.background,
                self.smallest_side,
                self.video_every,
            ]
        )
