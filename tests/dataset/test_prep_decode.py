"""Decoding: EXIF orientation, color models, alpha, bit depth, broken files."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from prep_media import cmyk_jpeg, jpeg, png, png_with_exif_orientation, scene, with_exif_orientation

from installation.dataset import decode, exif
from installation.dataset.errors import Skip

WHITE = (255, 255, 255)


def opencv_upright(data: bytes) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)


@pytest.mark.parametrize("order", ["<", ">"])
@pytest.mark.parametrize("value", range(1, 9))
def test_exif_orientation_matches_opencv(value: int, order: str) -> None:
    data = with_exif_orientation(jpeg(scene(value, 48, 32)), value, order)
    ours = decode.decode(data, WHITE)
    # IMREAD_COLOR applies the orientation itself: the same decoder must give the same pixels.
    assert np.array_equal(ours, opencv_upright(data))
    assert decode.probe_size(data) == (ours.shape[1], ours.shape[0])


def test_unchanged_does_not_apply_orientation_on_this_opencv() -> None:
    """The fact the decoder relies on: why orientation is applied by exif.py for every format."""
    data = with_exif_orientation(jpeg(scene(1, 48, 32)), 6)
    assert cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED).shape[:2] == (32, 48)
    assert opencv_upright(data).shape[:2] == (48, 32)


def test_png_exif_orientation() -> None:
    picture = scene(2, 40, 20)
    data = png_with_exif_orientation(png(picture), 8)
    assert exif.orientation(data) == 8
    assert np.array_equal(decode.decode(data, WHITE), cv2.rotate(picture, cv2.ROTATE_90_COUNTERCLOCKWISE))


def test_cmyk_jpeg_becomes_rgb() -> None:
    inks = np.zeros((4, 4, 4), np.uint8)
    inks[:, :2] = (0, 255, 255, 0)  # red
    inks[:, 2:] = (255, 255, 0, 0)  # blue
    image = decode.decode(cmyk_jpeg(inks), WHITE)
    assert image.shape == (32, 32, 3)
    assert np.abs(image[16, 4].astype(int) - (0, 0, 255)).max() <= 3  # BGR
    assert np.abs(image[16, 28].astype(int) - (255, 0, 0)).max() <= 3


def test_grayscale_png_becomes_three_equal_channels() -> None:
    gray = cv2.cvtColor(scene(3, 30, 20), cv2.COLOR_BGR2GRAY)
    image = decode.decode(png(gray), WHITE)
    assert image.shape == (20, 30, 3)
    assert np.array_equal(image[..., 0], gray) and np.array_equal(image[..., 2], gray)


def test_alpha_is_composited_on_the_background() -> None:
    rgba = np.zeros((10, 10, 4), np.uint8)
    rgba[..., 2] = 255  # red
    rgba[:, :5, 3] = 255  # left opaque
    rgba[:, 5:, 3] = 0  # right transparent
    image = decode.decode(png(rgba), (255, 0, 0))  # blue background, BGR
    assert tuple(image[5, 2]) == (0, 0, 255)
    assert tuple(image[5, 8]) == (255, 0, 0)
    rgba[..., 3] = 128
    half = decode.decode(png(rgba), WHITE)[5, 5]
    assert tuple(half) == (127, 127, 255)


def test_sixteen_bit_png_is_scaled_to_eight() -> None:
    deep = np.full((6, 6, 3), 65535, np.uint16)
    deep[0, 0] = (0, 32896, 65535)
    image = decode.decode(png(deep), WHITE)
    assert image.dtype == np.uint8
    assert tuple(image[0, 0]) == (0, 128, 255) and tuple(image[1, 1]) == (255, 255, 255)


def test_reduced_jpeg_decode_halves_the_size() -> None:
    data = jpeg(scene(4, 64, 48))
    assert decode.decode(data, WHITE, reduction=2).shape == (24, 32, 3)


def test_truncated_jpeg_is_skipped() -> None:
    data = jpeg(scene(5, 64, 64))
    with pytest.raises(Skip, match="truncated"):
        decode.decode(data[: len(data) * 2 // 3], WHITE)


def test_text_is_not_an_image() -> None:
    with pytest.raises(Skip, match="not a readable image"):
        decode.decode(b"just some text, saved as .jpg", WHITE)
