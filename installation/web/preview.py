"""The page's live preview: a tap on the engine's frames, JPEG-encoded off the render thread.

The tap (`offer`, on the engine's thread) does nearly nothing: unless a picture is wanted now
(someone is watching, and 1/fps has passed) it returns at once; else it copies the frame into a
single slot, replacing any not yet encoded, and wakes the encoder. The encoder thread scales it
to the width the pages asked for and encodes it with OpenCV.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import cv2
import numpy as np

from installation.web.worker import Worker

MIN_WIDTH, MAX_WIDTH = 64, 1024


class Preview(Worker):
    """`on_picture(jpeg)` gets each encoded picture, from the encoder's thread."""

    def __init__(self, fps: float, quality: int, on_picture: Callable[[bytes], None]) -> None:
        super().__init__("web-preview", join_seconds=2)
        self.fps, self.quality = fps, quality
        self.width = 0  # what the pages want; 0: nobody is watching
        self.encoded = 0
        self._on_picture = on_picture
        self._slot: np.ndarray | None = None
        self._last = 0.0

    def offer(self, frame) -> None:
        """The engine tap."""
        if not self.width or self.fps <= 0:
            return
        now = time.monotonic()
        if now - self._last < 1 / self.fps:
            return
        self._last = now
        pixels = frame.pixels.copy()  # the ring slot is reused after this call
        with self._wake:
            self._slot = pixels
            self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                if not self._wait_for(lambda: self._slot is not None):
                    return
                pixels, self._slot = self._slot, None
            self._on_picture(self.encode(pixels))
            self.encoded += 1

    def encode(self, pixels: np.ndarray) -> bytes:
        """RGB pixels [H, W, 3] as a JPEG `width` wide (never wider than the frame)."""
        height, width = pixels.shape[:2]
        target = min(max(self.width, MIN_WIDTH), MAX_WIDTH, width)
        bgr = cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR)
        if target != width:
            size = (target, max(1, round(height * target / width)))
            bgr = cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)
        ok, data = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, self.quality])
        return data.tobytes() if ok else b""
