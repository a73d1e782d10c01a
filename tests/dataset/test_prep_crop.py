"""Squaring and resizing: every crop mode gives size x size; pad fills; smart crop finds detail."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from prep_media import scene

from installation.dataset import crop


@pytest.mark.parametrize("mode", ["center", "pad", "stretch", "smart"])
@pytest.mark.parametrize("shape", [(300, 500), (500, 300), (100, 180), (256, 256)])
def test_every_mode_gives_the_output_size(mode: str, shape: tuple[int, int]) -> None:
    image = scene(1, shape[1], shape[0])
    out = crop.square(image, 256, mode, (0, 0, 0))
    assert out.shape == (256, 256, 3) and out.dtype == np.uint8


def test_center_crop_keeps_the_middle() -> None:
    image = np.zeros((100, 300, 3), np.uint8)
    image[:, 100:200] = 255
    assert crop.square(image, 256, "center", None).min() == 255


def test_pad_with_a_color_and_with_mirrored_edges() -> None:
    image = scene(2, 400, 200)
    filled = crop.square(image, 256, "pad", (10, 20, 30))
    assert tuple(filled[0, 128]) == (10, 20, 30) and tuple(filled[255, 128]) == (10, 20, 30)
    mirrored = crop.square(image, 256, "pad", None)
    # Row 63 is the first picture row, row 64-1-k mirrors row 64+k.
    assert np.array_equal(mirrored[63 - 5], mirrored[64 + 5])
    assert np.array_equal(mirrored[64:192], filled[64:192])


def test_smart_crop_moves_to_the_detailed_side() -> None:
    image = np.full((200, 600, 3), 128, np.uint8)
    image[:, 400:] = scene(3, 200, 200)
    rng = np.random.default_rng(0)
    image[:, 400:] = np.clip(image[:, 400:] + rng.normal(0, 40, (200, 200, 3)), 0, 255).astype(np.uint8)
    # The window may take in the edge where the detail starts: a few columns of slack.
    assert 380 <= crop._smart_offset(image) <= 400
    assert crop._smart_offset(cv2.transpose(image)) == crop._smart_offset(image)


def test_smart_crop_of_a_flat_picture_is_centered() -> None:
    image = np.full((200, 600, 3), 90, np.uint8)
    assert abs(crop._smart_offset(image) - 200) <= 2  # the middle, give or take rounding


def test_decode_reduction_keeps_enough_pixels() -> None:
    assert crop.decode_reduction((4000, 3000), 1024, "center") == 2
    assert crop.decode_reduction((4000, 3000), 256, "center") == 8
    assert crop.decode_reduction((4000, 3000), 1024, "pad") == 2
    assert crop.decode_reduction((4000, 1000), 1024, "pad") == 2
    assert crop.decode_reduction((1500, 1000), 1024, "smart") == 1
    assert crop.decode_reduction(None, 256, "center") == 1


def test_resize_filters_per_direction() -> None:
    image = scene(4, 300, 100)
    assert crop.resize(image, 150, 200).shape == (200, 150, 3)  # x shrinks, y grows
    assert crop.resize(image, 600, 50).shape == (50, 600, 3)
    flat = np.full((40, 40, 3), 77, np.uint8)
    assert crop.resize(flat, 90, 90).min() == 77 == crop.resize(flat, 90, 90).max()
