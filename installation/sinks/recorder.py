"""Recording the live loop: a tap on the engine that never slows it down."""

from __future__ import annotations

import errno
import logging
import shutil
import threading
import time
from pathlib import Path

import numpy as np

from installation.display.layout import compose
from installation.engine.frames import Frame
from installation.sinks.base import Sink
from installation.sinks.frame_queue import DropOldestQueue
from installation.sinks.live_output import OutputStatus, RateMeter

log = logging.getLogger(__name__)

RESERVE_BYTES = 64 * 2**20  # free space kept on the disk: the file's index is written at the end


class Recorder:
    """`engine.add_tap(recorder.offer)`. Each rendered frame is copied into a bounded queue; a
    thread writes them to `sink` at a constant `fps`, by their show times: a frame fills the
    video frames up to the next one (so a slow render holds the picture, as on screen), and
    frames are scaled onto `size` (width, height). When the writer falls behind, the oldest
    waiting frames are dropped and counted, the engine never waits. A write that fails (the
    disk is full), or less than `reserve_bytes` left free on the `disk` folder's filesystem
    (encoders do not all report a full disk), ends the recording there: the file is closed,
    playable, and the show goes on."""

    def __init__(
        self,
        sink: Sink,
        fps: float,
        size: tuple[int, int],
        *,
        mode: str = "fit",
        queue_size: int = 64,
        name: str = "recording",
        disk: Path | None = None,
        reserve_bytes: int = RESERVE_BYTES,
    ) -> None:
        self.sink, self.fps, self.size, self.mode, self.name = sink, fps, size, mode, name
        self._disk, self._reserve = disk, reserve_bytes
        self.written = 0
        self.error: str | None = None
        self._queue: DropOldestQueue[tuple[float, np.ndarray]] = DropOldestQueue(queue_size)
        self._meter = RateMeter()
        self._closed = False
        self._thread = threading.Thread(target=self._write_all, name="recorder", daemon=True)
        self._thread.start()

    @property
    def dropped(self) -> int:
        return self._queue.dropped

    def offer(self, frame: Frame) -> None:
        if self.error is None and not self._closed:
            self._queue.put((frame.t, frame.pixels.copy()))

    def status(self) -> OutputStatus:
        state = f"error: {self.error}" if self.error else "stopped" if self._closed else "running"
        return OutputStatus(self.name, state, self._meter.rate(time.monotonic()), self.written, self.dropped)

    def close(self) -> None:
        """Write what is queued, then close the sink."""
        self._closed = True
        self._queue.close()
        self._thread.join()
        if self.dropped:
            log.warning("recorder dropped %d frames (the disk or encoder was too slow)", self.dropped)

    def _write_all(self) -> None:
        try:
            self._write_queued()
        except OSError as error:
            full = error.errno in (errno.ENOSPC, errno.EDQUOT)
            self.error = "the disk is full" if full else str(error)
            log.warning("recording stopped after %d frames: %s", self.written, self.error)
        finally:
            try:
                self.sink.close()
            except OSError as error:  # a full disk can refuse the file's last bytes too
                log.warning("recording not closed cleanly: %s", error)

    def _write_queued(self) -> None:
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
        if self._disk is not None and shutil.disk_usage(self._disk).free < self._reserve:
            raise OSError(errno.ENOSPC, "the disk is full")
        image = (
            pixels
            if (pixels.shape[1], pixels.shape[0]) == self.size
            else compose(pixels, self.size, self.mode)
        )
        self.sink.write(image)
        self.written += 1
        self._meter.tick(time.monotonic())
