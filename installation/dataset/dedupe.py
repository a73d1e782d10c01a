"""Duplicate detection: exact (same bytes, same pixels) and near (64-bit DCT perceptual hash)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np


def phash(image: np.ndarray) -> int:
    """64-bit DCT perceptual hash of a BGR picture.

    The lowest 8x8 frequencies of a 32x32 gray copy, each bit telling whether a coefficient
    is above their median: it survives resizing, recompression and small color shifts.
    """
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    small = cv2.resize(gray, (32, 32), interpolation=cv2.INTER_AREA).astype(np.float32)
    low = cv2.dct(small)[:8, :8].flatten()
    bits = low > np.median(low[1:])  # the DC term is the mean brightness: it would skew the median
    return int.from_bytes(np.packbits(bits).tobytes(), "big")


def _popcount(values: np.ndarray) -> np.ndarray:
    if hasattr(np, "bitwise_count"):  # numpy >= 2.0
        return np.bitwise_count(values)
    return np.unpackbits(values.view(np.uint8).reshape(-1, 8), axis=1).sum(axis=1)


@dataclass(frozen=True)
class Candidate:
    """One processed picture, as deduplication sees it."""

    index: int  # position in source order
    pixels: str  # hash of the output pixels
    phash: int
    phash_mirror: int  # hash of the left-right mirrored picture
    area: int  # source pixel count: within a cluster the sharpest original is kept
    file: str | None = None  # hash of the source file's bytes; None for video frames


@dataclass(frozen=True)
class Duplicate:
    index: int  # the picture left out
    of: int  # the picture kept in its place
    reason: str


def find_duplicates(candidates: Sequence[Candidate], threshold: int, mirrored: bool) -> list[Duplicate]:
    """Which pictures to leave out, and which kept picture each one duplicates.

    Exact copies are always found. With `threshold` > 0, pictures whose pHashes differ in at
    most `threshold` bits are near-duplicates too, and with `mirrored` a left-right mirrored
    copy counts as well (the trainer's --mirror=1 makes it one anyway). Candidates are
    visited largest first, so every cluster keeps its highest-resolution member.
    """
    order = sorted(candidates, key=lambda c: (-c.area, c.index))
    kept_hashes = np.zeros(len(candidates), np.uint64)
    kept: list[int] = []
    by_file: dict[str, int] = {}
    by_pixels: dict[str, int] = {}
    found: list[Duplicate] = []
    for candidate in order:
        if candidate.file is not None and candidate.file in by_file:
            found.append(Duplicate(candidate.index, by_file[candidate.file], "identical file"))
            continue
        if candidate.pixels in by_pixels:
            found.append(Duplicate(candidate.index, by_pixels[candidate.pixels], "identical pixels"))
            continue
        near = _nearest(kept_hashes[: len(kept)], candidate, mirrored) if threshold else None
        if near is not None and near[1] <= threshold:
            slot, distance, flipped = near
            root = kept[slot]
            how = "mirrored near-duplicate" if flipped else "near-duplicate"
            found.append(Duplicate(candidate.index, root, f"{how} (pHash distance {distance})"))
        else:
            root = candidate.index
            kept_hashes[len(kept)] = np.uint64(candidate.phash)
            kept.append(root)
        if candidate.file is not None:
            by_file.setdefault(candidate.file, root)
        by_pixels.setdefault(candidate.pixels, root)
    return sorted(found, key=lambda d: d.index)


def _nearest(hashes: np.ndarray, candidate: Candidate, mirrored: bool) -> tuple[int, int, bool] | None:
    """(slot, distance, mirrored?) of the closest kept hash."""
    if not len(hashes):
        return None
    distances = _popcount(hashes ^ np.uint64(candidate.phash))
    slot = int(np.argmin(distances))
    best = (slot, int(distances[slot]), False)
    if mirrored:
        flipped = _popcount(hashes ^ np.uint64(candidate.phash_mirror))
        other = int(np.argmin(flipped))
        if flipped[other] < best[1]:
            best = (other, int(flipped[other]), True)
    return best
