"""`display.scale = "sharp"` done by the engine on the render device (torch) against the screen's
OpenCV path; on this CPU the device path is forced, as CUDA would choose it."""

import numpy as np
import pytest
import torch

from installation.display.scaling import ScreenScale, sharp_resize
from installation.engine import Engine, EngineSettings, ShowClock
from installation.engine.convert import FrameConverter
from installation.engine.resample import scales_on_device, sharp_resize_torch
from tests.engine.live_helpers import HandClock, SlerpSource, flat_costs, tiny_backend
from tests.polling import wait_for


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(float) - b.astype(float)) ** 2)
    return float("inf") if mse == 0 else float(10 * np.log10(255**2 / mse))


@pytest.fixture(scope="module")
def pictures():
    """Two 64 px pictures with edges and smooth parts (a rendered frame would do as well)."""
    rng = np.random.default_rng(3)
    noise = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    ramp = np.broadcast_to(np.linspace(0, 255, 64, dtype=np.uint8)[None, :, None], (64, 64, 3))
    return np.stack([noise, ramp.copy()])


@pytest.mark.parametrize(
    ("size", "sharpen"), [((720, 720), 0.5), ((300, 200), 0.0), ((200, 200), 0.5), ((40, 24), 0.5)]
)
def test_the_torch_path_is_opencv_s_to_a_level_or_two(pictures, size, sharpen):
    on_device = sharp_resize_torch(torch.from_numpy(pictures).to("cpu"), size, sharpen).numpy()
    assert on_device.shape == (2, size[1], size[0], 3)
    for picture, ours in zip(pictures, on_device, strict=True):
        theirs = sharp_resize(picture, size, sharpen)
        assert np.abs(ours.astype(int) - theirs).max() <= 2 and psnr(ours, theirs) > 50


def test_only_cuda_scales_on_the_device():
    assert scales_on_device(torch.device("cuda", 0)) and not scales_on_device(torch.device("cpu"))


def test_the_screen_s_rule_says_which_frames_are_resampled_and_to_what_size():
    window = ScreenScale("auto", 0.5, "fit", (1280, 720))
    assert window.sharp_size((64, 64)) == (720, 720)
    assert window.sharp_size((128, 64)) == (1280, 640)
    assert window.sharp_size((512, 512)) is None  # over half the drawn size: SDL's bilinear
    assert ScreenScale("nearest", 0.0, "fit", (1280, 720)).sharp_size((64, 64)) is None
    assert ScreenScale("sharp", 0.0, "fill", (1280, 720)).sharp_size((64, 64)) == (1280, 1280)


def test_the_converter_writes_the_frame_and_its_screen_picture(pictures):
    images = torch.from_numpy(pictures).permute(0, 3, 1, 2).float().sub(128).div(127.5)
    frames = [torch.empty(64, 64, 3, dtype=torch.uint8) for _ in range(2)]
    shown = [torch.empty(150, 150, 3, dtype=torch.uint8) for _ in range(2)]
    FrameConverter(torch.device("cpu")).convert(images, frames, shown, sharpen=0.5)
    for frame, picture, screen in zip(frames, pictures, shown, strict=True):
        assert np.abs(frame.numpy().astype(int) - picture).max() <= 1  # the uint8 round trip
        assert np.array_equal(screen.numpy(), sharp_resize_torch(frame[None], (150, 150), 0.5)[0].numpy())


def test_the_engine_hands_the_screen_frames_already_resampled_when_told_to(monkeypatch):
    backend = tiny_backend(64)
    settings = EngineSettings(min_resolution=64, batch=2, threads=1)
    screen = ScreenScale("auto", 0.5, "fit", (320, 200))
    for forced, wanted in ((True, (200, 200, 3)), (None, None)):  # None: the device decides (a CPU)
        engine = Engine(
            backend, SlerpSource(backend.G), ShowClock(HandClock()), settings, flat_costs([32, 64])
        )
        engine.scale_for(lambda: screen, on_device=forced)
        engine.start()
        try:
            frame = wait_for(lambda engine=engine: engine.pair_at(0.0)).a
        finally:
            engine.stop()
        assert engine.error is None
        if wanted is None:
            assert frame.shown is None
            continue
        assert frame.pixels.shape == (64, 64, 3) and frame.shown.shape == wanted
        expected = sharp_resize(frame.pixels, (200, 200), 0.5)
        assert np.abs(frame.shown.astype(int) - expected).max() <= 2 and psnr(frame.shown, expected) > 50
