"""Helpers of the gallery tests: the stand-in renderer, child environments, waiting on conditions."""

from __future__ import annotations

import http.server
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from tests.polling import wait_for
from tests.xservers import free_display

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def child_env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(ROOT), SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")


def stand_in(*behaviour: str) -> Callable[[int], list[str]]:
    """launch(level) for the stand-in renderer."""
    return lambda level: [sys.executable, str(HERE / "heartbeat_child.py"), str(level), *behaviour]


def gallery_show(tmp_path: Path, extra: str = "", *, logs: str = "logs") -> Path:
    """A show for `run.py gallery` tests: tiny frames, short timeouts, free ports, no MIDI."""
    path = tmp_path / "show.toml"
    path.write_text(f"""
[show]
name = "gallery test"
[display]
fullscreen = false
[render]
max_resolution = 32
[gallery]
hang_seconds = 6
start_seconds = 90
restart_delay = 0.2
restart_delay_max = 2
[health]
port = 0
[logging]
directory = "{logs}"
[osc]
port = 0
query_port = -1
[midi]
enabled = false
{extra}
""")
    return path


def small_model(path: Path) -> None:
    """An artist's checkpoint, small, always the same weights. A file stands where the backends
    would keep their cache beside it, so they keep it in the user's cache, by the weights' hash:
    the (slow) calibration of a new model is paid once, not by every test that plays one."""
    import torch

    from tests.checkpoints.ckpt_writers import random_state, small_config, write_nvlabs_pickle

    config = small_config()
    with torch.random.fork_rng():
        torch.manual_seed(0)  # the initial weights random_state starts from, too
        write_nvlabs_pickle(path, random_state(config), config)
    Path(f"{path}.cache").write_text("not a folder")


class GalleryRun:
    """`run.py gallery SHOW` as a real process; its output collected, its health page read."""

    def __init__(self, show: Path, env: dict[str, str] | None = None) -> None:
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "run.py"), "gallery", str(show)],
            cwd=ROOT,
            env=env or child_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        threading.Thread(target=self._read, daemon=True).start()
        found = wait_for(
            lambda: self.process.poll() is not None or self.match(r"health page: (http://\S+)"),
            60,
            "the health page",
        )
        assert self.process.poll() is None, "\n".join(self.lines)
        self.url = found.group(1)

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.decode("utf-8", "replace").rstrip())

    def match(self, pattern: str) -> re.Match | None:
        for line in list(self.lines):
            if found := re.search(pattern, line):
                return found
        return None

    def health(self) -> dict:
        with urllib.request.urlopen(self.url, timeout=10) as response:
            return json.loads(response.read())

    def showing(self, *, other_than: int | None = None, min_frames: int = 3, timeout: float = 60) -> dict:
        """The health once a renderer (not pid `other_than`) shows new frames."""
        start = {}

        def ready() -> dict | None:
            h = self.health()
            pid = h["renderer_pid"]
            if h["state"] != "playing" or pid == other_than or h["last_frame_age_s"] is None:
                return None
            first = start.setdefault(pid, h["frames"])
            return h if h["frames"] - first >= min_frames and h["last_frame_age_s"] < 2 else None

        return wait_for(ready, timeout, "a renderer showing frames")

    def stop(self) -> None:
        """SIGTERM, as systemd stops it; the renderer must go with it."""
        renderer = self.health().get("renderer_pid") if self.process.poll() is None else None
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            raise AssertionError("the gallery did not stop on SIGTERM") from None
        if renderer:
            wait_for(lambda: not Path(f"/proc/{renderer}").exists(), 10, "the renderer to end")


class NetworkCamera:
    """An MJPEG camera on loopback that can fail mid-stream (`down`) and come back (`up`)."""

    def __init__(self) -> None:
        self._down = threading.Event()
        self._server: http.server.HTTPServer | None = None
        self.port = 0
        self.up()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/camera.mjpg"

    def up(self) -> None:
        camera = self

        class Stream(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                import cv2
                import numpy as np

                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                count = 0
                try:
                    while not camera._down.is_set():
                        picture = np.full((120, 160, 3), (count * 9) % 256, np.uint8)
                        jpeg = cv2.imencode(".jpg", picture)[1].tobytes()
                        self.wfile.write(
                            b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n%s\r\n"
                            % (len(jpeg), jpeg)
                        )
                        count += 1
                        time.sleep(1 / 15)
                except OSError:  # the reader went away
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self._down.clear()
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Stream)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def down(self) -> None:
        """Cut every open stream and refuse new ones (the camera lost power)."""
        self._down.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


class XServer:
    """An Xvfb of our own whose monitors can change: `restart(screens)` stands for a projector
    being switched on (each X screen is one SDL display)."""

    def __init__(self, screens: int = 1) -> None:
        self.number = free_display(300)
        self.process: subprocess.Popen | None = None
        self.restart(screens)

    @property
    def display(self) -> str:
        return f":{self.number}"

    def restart(self, screens: int) -> None:
        self.stop()
        sizes = [arg for i in range(screens) for arg in ("-screen", str(i), "640x480x24")]
        self.process = subprocess.Popen(
            ["Xvfb", self.display, *sizes, "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: Path(f"/tmp/.X11-unix/X{self.number}").exists(), 10, f"Xvfb {self.display}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None
            wait_for(lambda: not Path(f"/tmp/.X11-unix/X{self.number}").exists(), 10, "Xvfb to go")
