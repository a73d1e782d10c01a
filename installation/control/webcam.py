"""The camera capture thread: a device index, a video file or a stream URL in, features out.

The thread owns the capture and every frame; it computes `Features` and passes only those to
`on_features` (frames never leave the thread and are never stored). A camera that fails is
released and reopened with growing pauses, and `on_features(None)` says it is gone. A video
file plays at its own frame rate and loops, standing in for a camera.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

import cv2

from installation.control.webcam_features import FeatureExtractor, Features

log = logging.getLogger(__name__)

# Without a camera, OpenCV's backends print a dozen lines of their own per attempt to open it,
# forever; our one warning per loss says it. FFmpeg reads its level when its plugin first loads.
cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET

BACKOFF = (0.5, 1.0, 2.0, 5.0, 10.0)  # seconds between attempts to reopen a lost camera


def describe_source(source: int | str) -> str:
    return f"camera {source}" if isinstance(source, int) else str(source)


class Webcam:
    """Captures from `source` in a thread; `on_features` runs in that thread for every frame
    processed (at most `max_fps` a second) and with None when the camera is lost."""

    def __init__(
        self,
        source: int | str,
        extractor: FeatureExtractor,
        on_features: Callable[[Features | None], None],
        *,
        max_fps: float = 30.0,
    ) -> None:
        self._source = source
        self._extractor = extractor
        self._on_features = on_features
        self._min_interval = 1.0 / max_fps
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="webcam", daemon=True)
        self.state = "starting"
        self.reopened = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=3)

    def _open(self) -> "cv2.VideoCapture | None":
        capture = cv2.VideoCapture(self._source)
        if not capture.isOpened():
            capture.release()
            return None
        if isinstance(self._source, int):
            # Small frames and one buffered frame: less USB traffic, and no queue of stale frames.
            capture.set(cv2.CAP_PROP_FRAME_WIDTH, 320)
            capture.set(cv2.CAP_PROP_FRAME_HEIGHT, 240)
            capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        return capture

    def _run(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            capture = self._open()
            if capture is None:
                if self.state != "lost":
                    log.warning("webcam: cannot open %s; retrying", describe_source(self._source))
                self._lose()
                self._stop.wait(BACKOFF[min(attempt, len(BACKOFF) - 1)])
                attempt += 1
                continue
            if self.state == "lost":
                self.reopened += 1
                log.info("webcam: %s is back", describe_source(self._source))
            attempt = 0
            self.state = "running"
            try:
                self._capture(capture)
            finally:
                capture.release()
            if not self._stop.is_set():
                log.warning("webcam: lost %s; reopening", describe_source(self._source))
                self._lose()

    def _lose(self) -> None:
        if self.state == "lost":
            return  # said once per loss, not once per attempt to reopen
        self.state = "lost"
        self._extractor.reset()
        self._on_features(None)

    def _capture(self, capture: "cv2.VideoCapture") -> None:
        """Read until the source fails or stop() is called.

        Every frame is grabbed (so the driver's queue never holds stale ones) but only the newest
        is decoded and measured, at most `max_fps` times a second.
        """
        is_file = not isinstance(self._source, int) and capture.get(cv2.CAP_PROP_FRAME_COUNT) > 0
        file_fps = capture.get(cv2.CAP_PROP_FPS) if is_file else 0.0
        file_interval = 1.0 / file_fps if file_fps > 0 else self._min_interval
        next_file_frame = last_processed = time.monotonic() - self._min_interval
        while not self._stop.is_set():
            if is_file:  # a camera paces itself; a file is paced to play in real time
                next_file_frame += file_interval
                if self._stop.wait(max(0.0, next_file_frame - time.monotonic())):
                    return
            ok = capture.grab()
            if not ok and is_file and capture.set(cv2.CAP_PROP_POS_FRAMES, 0):
                ok = capture.grab()  # end of a file: loop it like a camera that never stops
            if not ok:
                return
            now = time.monotonic()
            if now - last_processed < 0.75 * self._min_interval:  # 0.75: tolerate timer jitter
                continue
            ok, frame = capture.retrieve()
            if not ok:
                return
            last_processed = now
            self._on_features(self._extractor.update(frame))
