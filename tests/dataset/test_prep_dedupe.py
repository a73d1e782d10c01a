"""Perceptual hashing and duplicate clusters."""

from __future__ import annotations

import cv2
import numpy as np
from prep_media import jpeg, scene

from installation.dataset.dedupe import Candidate, find_duplicates, phash


def distance(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def test_resized_and_reencoded_copy_is_near() -> None:
    original = scene(7, 640, 480)
    copy = cv2.imdecode(
        np.frombuffer(jpeg(cv2.resize(original, (320, 240), interpolation=cv2.INTER_AREA), 60), np.uint8),
        cv2.IMREAD_COLOR,
    )
    assert distance(phash(original), phash(copy)) <= 4


def test_different_scenes_are_far() -> None:
    hashes = [phash(scene(seed, 320, 240)) for seed in range(12)]
    closest = min(distance(a, b) for i, a in enumerate(hashes) for b in hashes[i + 1 :])
    assert closest > 10


def candidate(
    index: int,
    seed: int,
    area: int,
    *,
    file: str | None = None,
    pixels: str | None = None,
    flip: bool = False,
) -> Candidate:
    image = scene(seed, 160, 120)
    if flip:
        image = cv2.flip(image, 1)
    return Candidate(index, pixels or f"p{index}", phash(image), phash(cv2.flip(image, 1)), area, file)


def test_clusters_keep_the_largest_original() -> None:
    found = find_duplicates([candidate(0, 1, 100), candidate(1, 1, 900), candidate(2, 2, 100)], 6, False)
    assert [(d.index, d.of) for d in found] == [(0, 1)]
    assert found[0].reason.startswith("near-duplicate")


def test_exact_duplicates_are_found_even_with_dedupe_off() -> None:
    items = [
        candidate(0, 1, 100, file="same"),
        candidate(1, 2, 100, file="same"),
        candidate(2, 3, 100, pixels="px"),
        candidate(3, 4, 100, pixels="px"),
        candidate(4, 1, 50),  # near-duplicate of 0, kept because dedupe is off
    ]
    found = find_duplicates(items, 0, False)
    assert [(d.index, d.of, d.reason) for d in found] == [
        (1, 0, "identical file"),
        (3, 2, "identical pixels"),
    ]


def test_mirrored_copies_only_with_xflip() -> None:
    items = [candidate(0, 5, 100), candidate(1, 5, 100, flip=True)]
    assert find_duplicates(items, 6, False) == []
    (found,) = find_duplicates(items, 6, True)
    assert (found.index, found.of) == (1, 0) and found.reason.startswith("mirrored")
