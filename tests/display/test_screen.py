"""A real SDL window (under Xvfb): what it shows against the rendered frames scaled on the CPU."""

import os

import numpy as np
import pytest

from installation.display.layout import compose, placement
from installation.display.scaling import sharp_resize
from installation.engine.frames import Frame, FramePair, blend
from installation.model.imaging import to_uint8
from tests.engine.live_helpers import SlerpSource, tiny_backend

WINDOW = (320, 200)


@pytest.fixture(scope="module")
def frames():
    backend = tiny_backend(64)
    source = SlerpSource(backend.G)
    pixels = to_uint8(backend.render(source.latents([0.5, 1.5]).ws))
    return [
        Frame(t, p, version=0, serial=i + 1) for i, (t, p) in enumerate(zip([0.5, 1.5], pixels, strict=True))
    ]


@pytest.fixture
def screen(x_display):
    from installation.display.screen import Screen

    screen = Screen(fullscreen=False, size=WINDOW, mode="fit", vsync=False, scale="linear")
    yield screen
    screen.close()


def assert_close(shown: np.ndarray, expected: np.ndarray) -> None:
    """SDL's bilinear filter and cv2's differ by a level here and there (and at a crop edge)."""
    diff = np.abs(shown.astype(int) - expected.astype(int))
    assert diff.mean() < 1 and np.percentile(diff, 99) <= 2, (diff.mean(), np.percentile(diff, 99))


@pytest.mark.parametrize("mode", ["fit", "fill", "stretch"])
def test_the_window_shows_the_frame_scaled_as_compose_does(screen, frames, mode):
    screen.mode = mode
    shown = screen.show(FramePair(frames[0]), capture=True)
    assert shown.shape == (WINDOW[1], WINDOW[0], 3)
    _, (x, y, w, h) = placement((64, 64), WINDOW, mode)
    expected = compose(frames[0].pixels, WINDOW, mode)
    assert_close(shown[y : y + h, x : x + w], expected[y : y + h, x : x + w])
    if mode == "fit":  # letterbox: bars left and right, exactly black
        assert (x, w) == (60, 200) and not shown[:, :x].any() and not shown[:, x + w :].any()


@pytest.mark.parametrize("where", ["cpu", "renderer"])
def test_an_in_between_frame_is_the_cross_fade_of_its_neighbours(screen, frames, where, monkeypatch):
    import installation.display.screen as screen_module

    if where == "renderer":  # as for frames larger than a CPU fade is made for
        monkeypatch.setattr(screen_module, "CPU_FADE_MAX_PIXELS", 64 * 64 - 1)
    pair = FramePair(frames[0], frames[1], 0.3)
    shown = screen.show(pair, capture=True)
    assert bool(screen._fades) == (where == "cpu")
    _, (x, y, w, h) = placement((64, 64), WINDOW, "fit")
    expected = compose(blend(pair), WINDOW, "fit")
    assert_close(shown[y : y + h, x : x + w], expected[y : y + h, x : x + w])
    alone = screen.show(FramePair(frames[0]), capture=True)
    assert np.abs(alone.astype(int) - shown).mean() > 1  # the fade really mixed the second frame in


def test_a_frame_is_uploaded_once_however_often_it_is_shown(screen, frames):
    screen.show(FramePair(frames[0]))
    screen.show(FramePair(frames[1]))
    textures = dict(screen._textures)
    screen.show(FramePair(frames[0], frames[1], 0.5))
    fades = dict(screen._fades)  # a cross-fade is blended into one texture, the same at every refresh
    screen.show(FramePair(frames[0], frames[1], 0.7))
    screen.show(FramePair(frames[1]))
    assert len(textures) == 2 and all(screen._textures[key] is texture for key, texture in textures.items())
    assert len(fades) == 1 and all(screen._fades[kind] is texture for kind, texture in fades.items())


def colours(pixels: np.ndarray) -> set:
    return set(map(tuple, pixels.reshape(-1, 3).tolist()))


def test_nearest_scaling_shows_crisp_pixels(screen, frames):
    _, (x, y, w, h) = placement((64, 64), WINDOW, "fit")
    screen.scale = "nearest"
    crisp = screen.show(FramePair(frames[0]), capture=True)[y : y + h, x : x + w]
    screen.scale = "linear"
    smooth = screen.show(FramePair(frames[0]), capture=True)[y : y + h, x : x + w]
    source = colours(frames[0].pixels)
    assert colours(crisp) <= source  # every pixel on screen is one of the frame's, none mixed
    assert len(colours(smooth) - source) > 1000  # bilinear mixes neighbours into new colours


def test_sharp_scaling_is_the_bicubic_resample_drawn_one_to_one(screen, frames):
    screen.scale, screen.sharpen = "sharp", 0.5
    shown = screen.show(FramePair(frames[0]), capture=True)
    _, (x, y, w, h) = placement((64, 64), WINDOW, "fit")
    expected = sharp_resize(frames[0].pixels, (w, h), 0.5)
    assert np.array_equal(shown[y : y + h, x : x + w], expected)
    linear = compose(frames[0].pixels, WINDOW, "fit")[y : y + h, x : x + w]
    assert np.abs(expected.astype(int) - linear).mean() > 1  # and it is not the bilinear picture


def test_a_sharp_cross_fade_blends_the_two_resampled_pictures(screen, frames):
    import cv2

    screen.scale, screen.sharpen = "sharp", 0.5
    shown = screen.show(FramePair(frames[0], frames[1], 0.3), capture=True)
    _, (x, y, w, h) = placement((64, 64), WINDOW, "fit")
    a, b = (sharp_resize(frame.pixels, (w, h), 0.5) for frame in frames)
    assert np.array_equal(shown[y : y + h, x : x + w], cv2.addWeighted(a, 0.7, b, 0.3, 0.0))


def test_auto_scaling_is_sharp_only_for_frames_under_half_the_drawn_size():
    from installation.display.scaling import chosen_scale

    assert chosen_scale("auto", (64, 64), (1080, 1080)) == "sharp"
    assert chosen_scale("auto", (1024, 1024), (1080, 1080)) == "linear"
    assert chosen_scale("nearest", (64, 64), (1080, 1080)) == "nearest"


def test_a_frame_resampled_on_the_render_device_is_drawn_as_it_came(screen, frames):
    screen.scale, screen.sharpen = "sharp", 0.5
    _, (x, y, w, h) = placement((64, 64), WINDOW, "fit")
    assert screen.scaling().sharp_size((64, 64)) == (w, h)
    given = np.random.default_rng(1).integers(0, 256, (h, w, 3), dtype=np.uint8)  # not what cv2 makes
    frame = frames[0]
    ready = Frame(frame.t, frame.pixels, frame.version, serial=101, shown=given)
    assert np.array_equal(screen.show(FramePair(ready), capture=True)[y : y + h, x : x + w], given)
    stale = Frame(frame.t, frame.pixels, frame.version, serial=102, shown=given[:-2])  # another size
    expected = sharp_resize(frame.pixels, (w, h), 0.5)  # the screen resamples it itself
    assert np.array_equal(screen.show(FramePair(stale), capture=True)[y : y + h, x : x + w], expected)


def test_the_picture_reaches_the_x_screen_through_sdl_called_without_the_interpreter_lock(screen, frames):
    """The screen presents through ctypes (the lock released, see present.py): what the X
    server then holds in the window is the frame as drawn."""
    from installation.display.present import unlocked_present
    from tests.display.xshot import grab_screen

    assert unlocked_present(screen.window.id) is not None  # Linux, pygame's SDL found
    screen.mode = "fit"
    screen.show(FramePair(frames[1]))
    x, y = screen.window.position
    on_x = grab_screen(os.environ["DISPLAY"], (x + WINDOW[0], y + WINDOW[1]))[y:, x:]
    assert_close(on_x, compose(frames[1].pixels, WINDOW, "fit"))


def sdl_objects() -> int:
    """pygame renderers and textures alive in this process."""
    import gc

    return sum(type(o).__name__ in ("Renderer", "Texture") for o in gc.get_objects())


def test_closing_a_screen_frees_its_textures_and_renderer_before_its_window(x_display, frames):
    """A renderer freed after its window makes SDL touch the destroyed X window: Xlib's default
    handler then ends the whole process (BadDrawable), long after the close, whenever a garbage
    collection reaches it. So close frees every SDL object the screen made, at once."""
    import pygame

    from installation.display.hud import Hud
    from installation.display.screen import Screen

    before = sdl_objects()
    screen = Screen(fullscreen=False, size=WINDOW, mode="fit", vsync=False, scale="linear")
    hud = Hud()
    for t in range(3):  # frames, the HUD overlay, and a new overlay when its text changes
        screen.show(FramePair(frames[t % 2]), hud.surface([f"line {t}"], now=t))
    assert sdl_objects() > before
    screen.close()
    assert sdl_objects() == before
    other = Screen(fullscreen=False, size=WINDOW, mode="fit", vsync=False, scale="linear")
    try:  # the next window works, and X reports nothing about the old one
        pygame.event.pump()
        assert other.show(FramePair(frames[0]), capture=True).any()
    finally:
        other.close()
