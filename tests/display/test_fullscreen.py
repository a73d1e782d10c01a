"""Full screen for real: `run.py play` on X servers with no window manager (a kiosk started by
xinit) covers the chosen display, read back from the X server as a screenshot. Two Xvfb sizes,
and a two-display server (Xorg's dummy driver, two RandR outputs of different sizes side by side).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from installation.display.layout import placement
from installation.model.imaging import write_png
from tests.display.xshot import grab_screen
from tests.sinks.show_files import RESOLUTION, write_show
from tests.xservers import free_display

ROOT = Path(__file__).resolve().parents[2]
MAGENTA = (255, 0, 255)
DUMMY_DRIVER = Path("/usr/lib/xorg/modules/drivers/dummy_drv.so")
XORG_CONF = """
Section "Device"
    Identifier "dummy"
    Driver "dummy"
    VideoRam 256000
EndSection
Section "Monitor"
    Identifier "monitor"
    HorizSync 5.0-1000.0
    VertRefresh 5.0-200.0
EndSection
Section "Screen"
    Identifier "screen"
    Device "dummy"
    Monitor "monitor"
    DefaultDepth 24
    SubSection "Display"
        Depth 24
        Virtual 2400 1200
    EndSubSection
EndSection
"""


def wait_for_socket(server: subprocess.Popen, number: int) -> None:
    socket = Path(f"/tmp/.X11-unix/X{number}")
    deadline = time.monotonic() + 15
    while not socket.exists() and server.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    if not socket.exists():
        server.kill()
        pytest.skip(f"X server :{number} did not start")


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture
def xvfb(request):
    """An Xvfb of the size the test is parametrized with, and no window manager."""
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (apt-get install xvfb)")
    number = free_display()
    width, height = request.param
    server = subprocess.Popen(
        ["Xvfb", f":{number}", "-screen", "0", f"{width}x{height}x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_socket(server, number)
    yield f":{number}", (width, height)
    stop(server)


@pytest.fixture
def two_displays(tmp_path):
    """One X server, two displays: 1280x720 at (0, 0) and 800x600 at (1280, 0)."""
    if shutil.which("Xorg") is None or shutil.which("xrandr") is None or not DUMMY_DRIVER.exists():
        pytest.skip(
            "two-display tests need Xorg's dummy driver and xrandr "
            "(apt-get install xserver-xorg-core xserver-xorg-video-dummy x11-xserver-utils)"
        )
    number = free_display()
    conf = tmp_path / "xorg.conf"
    conf.write_text(XORG_CONF)
    server = subprocess.Popen(
        ["Xorg", f":{number}", "-config", str(conf), "-noreset", "-nolisten", "tcp"]
        + ["-logfile", str(tmp_path / "xorg.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_socket(server, number)
    display = f":{number}"
    env = {**os.environ, "DISPLAY": display}
    mode = ["800x600_60", "38.25", "800", "832", "912", "1024", "600", "603", "607", "624"]
    layout = ["--output", "DUMMY0", "--mode", "1280x720", "--pos", "0x0"]
    layout += ["--output", "DUMMY1", "--mode", "800x600_60", "--pos", "1280x0"]

    def xrandr(*args: str) -> str:
        return subprocess.run(["xrandr", *args], env=env, capture_output=True, text=True, timeout=30).stdout

    xrandr("--newmode", *mode, "-hsync", "+vsync")
    xrandr("--addmode", "DUMMY1", "800x600_60")
    deadline = time.monotonic() + 20
    while "DUMMY1 connected 800x600+1280+0" not in xrandr() and time.monotonic() < deadline:
        xrandr(*layout)  # again if the server was still setting its first mode
        time.sleep(0.2)
    if "DUMMY1 connected 800x600+1280+0" not in xrandr():
        stop(server)
        pytest.skip("xrandr could not lay out the two dummy displays")
    yield display
    stop(server)


def problem(shot: np.ndarray, rect: tuple[int, int, int, int]) -> str | None:
    """Why the show's window does not cover `rect` (x, y, w, h) in `shot`, or None if it does:
    bars of the show's background exactly where fit puts them, and the model's picture
    everywhere else (the X root around a smaller window is black)."""
    x, y, w, h = rect
    area = shot[y : y + h, x : x + w]
    _, (px, py, pw, ph) = placement((RESOLUTION, RESOLUTION), (w, h), "fit")
    bars = np.ones((h, w), bool)
    bars[py : py + ph, px : px + pw] = False
    if not (area[bars] == MAGENTA).all():
        return f"the bars do not reach the display's edges ({(area[bars] == MAGENTA).all(-1).mean():.0%} do)"
    picture = area[py : py + ph, px : px + pw]
    if (picture == MAGENTA).all(axis=-1).mean() > 0.01 or picture.std() < 5:
        return "no picture where fit places it"
    return None


def play_until_covered(display: str, show: Path, rect: tuple[int, int, int, int], shots: Path):
    """Run `run.py play SHOW` full screen on `display`, screenshotting the X screen until the
    show covers `rect` (or a minute passed); returns the last screenshot and the log."""
    x, y, w, h = rect
    env = {**os.environ, "DISPLAY": display}
    command = [sys.executable, str(ROOT / "run.py"), "play", str(show), "--backend", "torch"]
    player = subprocess.Popen(command + ["--seconds", "60"], env=env, stderr=subprocess.PIPE, text=True)
    shot = None
    try:
        deadline = time.monotonic() + 50
        while time.monotonic() < deadline and player.poll() is None:
            time.sleep(0.5)
            shot = grab_screen(display, (x + w, y + h))
            if problem(shot, rect) is None:
                break
    finally:
        time.sleep(0.5)  # past start-up, where Ctrl-C would interrupt an import
        player.send_signal(signal.SIGINT)
        _, stderr = player.communicate(timeout=60)
    assert shot is not None and player.returncode in (0, 130), stderr
    write_png(shots, shot)
    return shot, stderr


def kiosk_show(tmp_path: Path, screen: int | str = 0) -> Path:
    screen_value = f'"{screen}"' if isinstance(screen, str) else screen
    display = f'[display]\nfullscreen = true\nbackground = "#ff00ff"\nscreen = {screen_value}\n'
    return write_show(tmp_path, extra=display)


@pytest.mark.parametrize("xvfb", [(1024, 600), (640, 800)], indirect=True, ids=["landscape", "portrait"])
def test_full_screen_covers_the_whole_screen_without_a_window_manager(xvfb, tmp_path):
    display, (width, height) = xvfb
    shot, stderr = play_until_covered(
        display, kiosk_show(tmp_path), (0, 0, width, height), tmp_path / "s.png"
    )
    assert shot.shape == (height, width, 3)
    assert problem(shot, (0, 0, width, height)) is None, problem(shot, (0, 0, width, height))
    assert "presenting at 60 fps" in stderr  # Xvfb has no refresh rate: the default


def test_full_screen_on_the_second_display_covers_it_and_leaves_the_first(two_displays, tmp_path):
    rect = (1280, 0, 800, 600)
    shot, stderr = play_until_covered(two_displays, kiosk_show(tmp_path, 1), rect, tmp_path / "s.png")
    assert problem(shot, rect) is None, problem(shot, rect)
    assert not shot[:, :1280].any()  # display 0 untouched: the X root's black
    assert "presenting at 60 fps" in stderr  # read from the display's mode


def test_run_py_displays_lists_both_with_sizes_and_rates(two_displays):
    done = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), "displays"],
        env={**os.environ, "DISPLAY": two_displays},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("0: DUMMY0  1280x720 at (0, 0), 60 Hz")
    assert lines[1].startswith("1: DUMMY1  800x600 at (1280, 0), 60 Hz")


def test_a_display_that_is_not_there_is_one_line_naming_those_that_are(two_displays, tmp_path):
    done = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), "play", str(kiosk_show(tmp_path, "HDMI-7"))],
        env={**os.environ, "DISPLAY": two_displays},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "HDMI-7" in done.stderr and "DUMMY1  800x600" in done.stderr


def test_a_display_is_chosen_by_number_or_by_part_of_its_name():
    from installation.display.displays import Display, choose_display
    from installation.errors import UserError

    displays = [Display(0, "DP-1", 0, 0, 1920, 1080, 60.0), Display(1, "HDMI-1", 1920, 0, 1080, 1920, None)]
    assert choose_display(1, displays).name == "HDMI-1"
    assert choose_display("hdmi", displays).index == 1
    with pytest.raises(UserError, match="more than one"):
        choose_display("-1", displays)
    with pytest.raises(UserError, match="there are 2 displays"):
        choose_display(2, displays)
