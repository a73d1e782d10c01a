"""Recording the live loop: a tap on the engine that never slows it down."""

from __future__ import annotations

import logging
import queue
import threading

import numpy as np

from installation.display.layout import compose
from installation.engine.frames import Frame
from installation.sinks.base import Sink

log = logging.getLogger(__name__)


class Recorder:
    """`engine.add_tap(recorder.offer)`. Each rendered frame is copied into a bounded queue; a
    thread writes them to `sink` at a constant `fps`, by their show times: a frame fills the
    video frames up to the next one (so a slow render holds the picture, as on screen), and
    frames are scaled onto `size` (width, height). When the writer falls behind, frames are
    dropped and counted, the engine never waits."""

    def __init__(
        self, sink: Sink, fps: float, size: tuple[int, int], *, mode: str = "fit", queue_size: int = 64
    ) -> None:
        self.sink, self.fps, self.size, self.mode = sink, fps, size, mode
        self.dropped = 0
        self.written = 0
        self._queue: queue.Queue[tuple[float, np.ndarray] | None] = queue.Queue(queue_size)
        self._thread = threading.Thread(target=self._write_all, name="recorder", daemon=True)
        self._thread.start()

    def offer(self, frame: Frame) -> None:
        try:
            self._queue.put_nowait((frame.t, frame.pixels.copy()))
        except queue.Full:
            self.dropped += 1

    def close(self) -> None:
        """Write what is queued, then close the sink."""
        self._queue.put(None)
        self._thread.join()
        self.sink.close()
        if self.dropped:
            log.warning("recorder dropped %d frames (the disk or encoder was too slow)", self.dropped)

    def _write_all(self) -> None:
        start: float | None = None
        held: np.ndarray | None = None
        while (item := self._queue.get()) is not None:
            t, pixels = item
            start = t if start is None else start
            index = round((t - start) * self.fps)
            if index < self.written:  # re-rendered after a parameter change, or too close: written already
                continue
            while held is not None and self.written < index:  # hold the last picture until t
                self._emit(held)
            held = pixels
            self._emit(held)

    def _emit(self, pixels: np.ndarray) -> None:
        image = (
            pixels
            if (pixels.shape[1], pixels.shape[0]) == self.size
            else compose(pixels, self.size, self.mode)
        )
        self.sink.write(image)
        self.written += 1
