import numpy as np
import pytest

from installation.display.layout import compose, placement


def test_fit_letterboxes_and_keeps_the_whole_frame():
    assert placement((256, 256), (1920, 1080), "fit") == ((0, 0, 256, 256), (420, 0, 1080, 1080))
    assert placement((512, 256), (1000, 1000), "fit") == ((0, 0, 512, 256), (0, 250, 1000, 500))


def test_fill_crops_the_frame_to_the_screen_shape():
    assert placement((256, 256), (1920, 1080), "fill") == ((0, 56, 256, 144), (0, 0, 1920, 1080))
    assert placement((100, 50), (50, 50), "fill") == ((25, 0, 50, 50), (0, 0, 50, 50))


def test_stretch_uses_everything():
    assert placement((256, 128), (640, 480), "stretch") == ((0, 0, 256, 128), (0, 0, 640, 480))
    with pytest.raises(ValueError):
        placement((1, 1), (1, 1), "zoom")


def test_compose_paints_bars_in_the_background_colour():
    image = np.full((10, 10, 3), 200, np.uint8)
    out = compose(image, (30, 10), "fit", background=(1, 2, 3))
    assert out.shape == (10, 30, 3)
    assert (
        np.all(out[:, :10] == (1, 2, 3)) and np.all(out[:, 10:20] == 200) and np.all(out[:, 20:] == (1, 2, 3))
    )
