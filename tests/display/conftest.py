"""A real X display for window tests: the one in DISPLAY, or an Xvfb started here."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.engine.live_helpers import one_torch_thread  # noqa: F401  (autouse)
from tests.parts import require_part
from tests.xservers import free_display


@pytest.fixture(scope="session")
def x_display():
    """The DISPLAY to open windows on; skips when there is none and Xvfb is not installed."""
    if os.environ.get("DISPLAY"):
        yield os.environ["DISPLAY"]
        return
    if shutil.which("Xvfb") is None:
        require_part(
            "Xvfb",
            "no DISPLAY and Xvfb is not installed (apt-get install xvfb) - window tests need an X server",
        )
    number = free_display()
    server = subprocess.Popen(
        ["Xvfb", f":{number}", "-screen", "0", "1280x720x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    socket = Path(f"/tmp/.X11-unix/X{number}")
    deadline = time.monotonic() + 10
    while not socket.exists() and server.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    if not socket.exists():
        server.kill()
        require_part("Xvfb", f"Xvfb :{number} did not start")
    os.environ["DISPLAY"] = f":{number}"
    try:
        yield os.environ["DISPLAY"]
    finally:
        import pygame

        pygame.display.quit()  # before the server goes, or Xlib aborts the process
        del os.environ["DISPLAY"]
        server.terminate()
        server.wait(timeout=10)
