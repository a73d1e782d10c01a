"""A whole show in a real window: keys, hot reload, and `run.py play` itself."""

import logging
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from installation.show.loader import load_show
from tests.sinks.show_files import tiny_checkpoint, write_show

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def running(x_display, tmp_path):
    """A live show on the tiny checkpoint in a real window, with its presenter (not yet run)."""
    from installation.display import Presenter, Screen
    from installation.live import LiveShow

    show = load_show(
        write_show(tmp_path, extra='[display]\nfullscreen = false\nallow_quit = false\nfit = "fit"\n')
    )
    live = LiveShow(show, backend="torch").start()
    screen = Screen(fullscreen=False, size=(320, 240), mode="fit", vsync=False)
    presenter = Presenter(
        screen, live, screenshots=tmp_path / "shots", actions=live.actions(), allow_quit=False
    )
    deadline = time.monotonic() + 30
    while live.pair_at(live.clock.now()) is None and live.error is None and time.monotonic() < deadline:
        time.sleep(0.01)  # the engine probes the machine, then renders
    yield live, presenter, tmp_path
    live.stop()
    screen.close()
    assert live.error is None


def key(name: str):
    import pygame

    return pygame.event.Event(pygame.KEYDOWN, key=pygame.key.key_code(name), mod=0, unicode=name, scancode=0)


def test_keys_act_and_reach_the_key_handlers(running):
    import pygame

    live, presenter, folder = running
    seen = []
    presenter.key_handlers.append(lambda event: seen.append(pygame.key.name(event.key)))
    presenter.run(seconds=0.2)  # a picture on screen, for the screenshot
    for name in ("h", "right", "s", "q", "x"):
        pygame.event.post(key(name))
    presenter.run(seconds=1.0)
    assert seen == ["h", "right", "s", "q", "x"]
    assert presenter.hud_on and live.bus.snapshot().count("keyframe") == 1
    assert presenter.presented.count > 20 and presenter.presented.version >= 0  # q did not quit: a gallery
    deadline = time.monotonic() + 5
    while not list((folder / "shots").glob("*.png")) and time.monotonic() < deadline:
        time.sleep(0.05)
    shots = list((folder / "shots").glob("*.png"))
    assert len(shots) == 1
    import cv2

    assert cv2.imread(str(shots[0])).shape == (240, 320, 3)  # the window as shown, not the 32 px frame
    pygame.event.post(key("space"))
    presenter.run(seconds=0.2)
    assert live.clock.paused


def test_screenshots_off_write_nothing_and_say_so_once(running, caplog):
    import pygame

    live, presenter, folder = running
    presenter.screenshots = None  # as play(screenshots=False) makes it for the gallery
    presenter.run(seconds=0.2)
    for _ in range(3):
        pygame.event.post(key("s"))
    with caplog.at_level("INFO", logger="installation.display.presenter"):
        presenter.run(seconds=0.5)
    assert not (folder / "shots").exists()
    assert sum("screenshots are off" in r.getMessage() for r in caplog.records) == 1


def test_displayed_fps_counts_the_refreshes_presented(running):
    live, presenter, _ = running
    presented = []
    show = presenter.screen.show
    presenter.screen.show = lambda *args, **kw: presented.append(time.monotonic()) or show(*args, **kw)
    presenter.fps = 30
    presenter.run(seconds=2.0)
    last = presenter.presented.wall
    in_window = sum(1 for at in presented if at > last - 1.0)
    # (one refresh either way: the presenter stamps a refresh just before drawing it)
    assert abs(presenter.displayed_fps - in_window) <= 1 and 0 < in_window <= 31
    live.clock.toggle()  # paused, no HUD: one still picture, nothing more to present
    presenter.run(seconds=1.5)
    assert presenter.displayed_fps == 0


def test_a_valid_edit_swaps_motion_without_a_black_frame_and_an_invalid_one_is_reported(running, caplog):
    from installation.show.watcher import ShowWatcher

    live, presenter, folder = running
    presenter.run(seconds=0.5)
    before = live.pair_at(live.clock.now()).newest.version
    watcher = ShowWatcher(live.show, live.reload, on_error=live.report, interval=0.05)
    text = live.show.path.read_text()
    live.show.path.write_text(text.replace("keyframes = [1, 2, 3]", "keyframes = [7, 8]"))
    watcher.poll()
    assert len(live.show.motion.keyframes) == 2 and live.note == ""
    frames = []
    for _ in range(40):  # while the engine switches, the screen always has a picture
        presenter.run(seconds=0.02)
        frames.append(live.pair_at(live.clock.now()))
    assert all(pair is not None for pair in frames)
    assert frames[-1].newest.version > before
    live.show.path.write_text(text.replace("period_seconds = 2.0", "period_seconds = -5"))
    with caplog.at_level(logging.WARNING):
        watcher.poll()
    assert live.note.startswith("not reloaded: ") and "period_seconds" in live.note
    assert len(live.show.motion.keyframes) == 2  # still the running show
    assert [r.getMessage().count("period_seconds") for r in caplog.records] == [1]  # logged once


def test_a_new_model_loads_in_the_background_and_the_show_goes_on(running):
    live, presenter, folder = running
    presenter.run(seconds=0.3)
    other = folder / "other"
    other.mkdir()
    checkpoint = tiny_checkpoint(other)
    edited = live.show.path.read_text().replace('path = "tiny.pkl"', f'path = "{checkpoint}"')
    live.show.path.write_text(edited)
    old_model = live._renderer.G
    live.reload(load_show(live.show.path))
    presenter.run(seconds=0.5)
    assert live._renderer.G is not old_model and live.pair_at(live.clock.now()) is not None


def test_run_py_play_plays_a_show_for_some_seconds_and_records_it(x_display, tmp_path):
    import cv2

    taken = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # the show's OSC port, held by another
    taken.bind(("127.0.0.1", 0))
    surfaces = f"[osc]\nport = {taken.getsockname()[1]}\nquery_port = -1\n[midi]\nenabled = false\n"
    show, video = write_show(tmp_path, extra=surfaces), tmp_path / "rec.mp4"
    command = [
        "play",
        str(show),
        "--backend",
        "torch",
        "--windowed",
        "--size",
        "200x150",
        "--seconds",
        "3",
        "--record",
        str(video),
    ]
    with taken:
        done = subprocess.run(
            [sys.executable, str(ROOT / "run.py"), *command], capture_output=True, text=True, timeout=120
        )
    assert done.returncode == 0, done.stderr
    # The show plays on without OSC, and the log says what failed at start (not "not reloaded").
    assert "osc off: cannot listen for OSC" in done.stderr and "not reloaded" not in done.stderr
    assert len(re.findall(r"first frame \d+\.\d s after the process started", done.stderr)) == 1
    capture = cv2.VideoCapture(str(video))
    ok, frame = capture.read()
    assert ok and frame.shape == (150, 200, 3) and int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) > 5


def test_without_a_display_play_says_so_in_one_line_and_points_to_render(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER")}
    done = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), "play", str(write_show(tmp_path))],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "no display" in done.stderr and "run.py render" in done.stderr


def test_an_unreachable_display_is_named(tmp_path):
    free = next(n for n in range(400, 500) if not Path(f"/tmp/.X11-unix/X{n}").exists())
    env = {k: v for k, v in os.environ.items() if k not in ("WAYLAND_DISPLAY", "SDL_VIDEODRIVER")}
    done = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), "play", str(write_show(tmp_path))],
        capture_output=True,
        text=True,
        timeout=60,
        env={**env, "DISPLAY": f":{free}"},
    )
    assert done.returncode == 2
    assert f"cannot reach the display DISPLAY=:{free}" in done.stderr and "off-screen" not in done.stderr


def test_bench_loop_measures_the_playing_show(x_display, tmp_path):
    import json

    show, out = write_show(tmp_path), tmp_path / "loop.json"
    command = [
        "bench",
        "--loop",
        str(show),
        "--loop-seconds",
        "3",
        "--loop-backend",
        "torch",
        "--json",
        str(out),
    ]
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), *command], capture_output=True, text=True, timeout=120
    )
    took_s = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text())
    # the first frame came after the imports and the model's load, and 3 s of loop before the end
    assert 0.5 < result["first_frame_s"] < took_s - 3, (result["first_frame_s"], took_s)
    assert "first frame, s after the process started" in done.stdout
    assert result["displayed_fps"] > 10 and result["rendered_fps"] > 0 and result["generator_alone_fps"] > 0
    assert result["latency_ms"] and all(ms < 2000 for ms in result["latency_ms"])
    assert "displayed fps" in done.stdout
    parts = result["own_work_ms_per_frame"]  # the loop's own work, by part
    assert set(parts) == {"latents", "noise", "convert", "publish"} and parts["latents"] > 0
    assert "noise fields, ms per frame" in done.stdout
    assert result["latency_param"] == "psi"


def test_bench_loop_names_the_parameters_when_asked_to_time_one_the_show_lacks(x_display, tmp_path):
    command = [
        "bench",
        "--loop",
        str(write_show(tmp_path)),
        "--loop-backend",
        "torch",
        "--loop-param",
        "nosuch",
    ]
    done = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), *command], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2, done.stderr
    error = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(error) == 1 and "--loop-param nosuch" in error[0] and "psi" in error[0], done.stderr
