"""A sink fed from the live show: frames handed over by the engine, sent at the sink's own pace.

The engine calls `offer(frame)` for each rendered frame, ahead of its show time (a copy goes
into a drop-oldest queue: the engine never waits; frames closer together than the output's
frame interval are not kept, so the queue spans the engine's look-ahead). A thread of the
output's own opens the sink, then every 1/fps seconds sends the newest frame whose show time
has come (the picture the screen shows at that moment, held while nothing new is due), placed
on the output's size. A sink that cannot open, or fails while writing, is reported in
`status` and the show plays on without it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from installation.display.layout import compose
from installation.engine.frames import Frame
from installation.errors import UserError
from installation.sinks.base import Sink
from installation.sinks.frame_queue import DropOldestQueue

log = logging.getLogger(__name__)

RATE_WINDOW_S = 2.0  # the reported frame rate counts the frames sent over this last stretch


@dataclass(frozen=True)
class OutputStatus:
    """What the HUD and /health say about one output. `state`: starting, running, stopped, or
    the one-line error that stopped it."""

    name: str
    state: str
    fps: float
    sent: int
    dropped: int

    def line(self) -> str:
        return f"{self.name}: {self.state}   {self.fps:4.1f} fps   sent {self.sent}   dropped {self.dropped}"

    def as_dict(self) -> dict:
        return {"state": self.state, "fps": round(self.fps, 2), "sent": self.sent, "dropped": self.dropped}


def shown_by(t: float) -> Callable[[Frame], bool]:
    """Whether a frame is due on screen by show time `t`."""
    return lambda frame: frame.t <= t


class RateMeter:
    """Events per second over the last RATE_WINDOW_S."""

    def __init__(self) -> None:
        self._times: deque[float] = deque()

    def tick(self, now: float) -> None:
        self._times.append(now)
        while now - self._times[0] > RATE_WINDOW_S:
            self._times.popleft()

    def rate(self, now: float) -> float:
        recent = [t for t in self._times if now - t <= RATE_WINDOW_S]
        if len(recent) < 2:
            return 0.0
        return (len(recent) - 1) / max(recent[-1] - recent[0], 1e-9)


class LiveOutput:
    """`open_sink(size)` makes the sink (in the output's thread: opening a network sink may
    take a while). `size` (width, height), or None for `default_size()`, asked for when the
    first frame comes (the model's resolution is known by then). `clock()`: the show time."""

    def __init__(
        self,
        name: str,
        open_sink: Callable[[tuple[int, int]], Sink],
        *,
        fps: float,
        clock: Callable[[], float],
        size: tuple[int, int] | None = None,
        default_size: Callable[[], tuple[int, int]] | None = None,
        mode: str = "fit",
        queue_size: int = 16,
    ) -> None:
        self.name, self.fps, self.mode = name, fps, mode
        self.sent = 0
        self._open_sink, self._clock = open_sink, clock
        self._size, self._default_size = size, default_size
        self._queue: DropOldestQueue[Frame] = DropOldestQueue(queue_size)
        self._state = "starting"
        self._last_offered: float | None = None
        self._meter = RateMeter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"output {name}", daemon=True)
        self._thread.start()

    def offer(self, frame: Frame) -> None:
        """The engine's tap: keep a copy of the frame (its ring slot is reused)."""
        last = self._last_offered
        if self._stop.is_set() or (last is not None and last < frame.t < last + 1 / self.fps):
            return  # closer to the frame before than this output's frame interval: never sent
        self._last_offered = frame.t
        self._queue.put(Frame(frame.t, frame.pixels.copy(), frame.version, frame.serial))

    @property
    def dropped(self) -> int:
        return self._queue.dropped

    def status(self) -> OutputStatus:
        return OutputStatus(
            self.name, self._state, self._meter.rate(time.monotonic()), self.sent, self.dropped
        )

    def close(self) -> None:
        self._stop.set()
        self._queue.close()
        self._thread.join()

    def _run(self) -> None:
        sink = None
        try:
            first = self._first_frame()
            if first is None:
                return
            size = self._size or (self._default_size() if self._default_size else first.pixels.shape[1::-1])
            sink = self._open_sink(tuple(size))
            self._state = "running"
            log.info("output %s: sending %dx%d at %g fps", self.name, size[0], size[1], self.fps)
            self._send(sink, first, tuple(size))
        except UserError as error:
            self._fail(str(error))
        except Exception as error:  # noqa: BLE001  (a sink's library failing ends that sink, not the show)
            self._fail(f"{type(error).__name__}: {error}")
        finally:
            if sink is not None:
                self._close_sink(sink)
            if self._state in ("starting", "running"):
                self._state = "stopped"

    def _first_frame(self) -> Frame | None:
        while not self._stop.is_set():
            frame = self._queue.take_due(shown_by(self._clock()))
            if frame is not None:
                return frame
            self._stop.wait(1 / self.fps)
        return None

    def _send(self, sink: Sink, current: Frame, size: tuple[int, int]) -> None:
        image = self._place(current.pixels, size)
        due = time.monotonic()
        while not self._stop.is_set():
            newer = self._queue.take_due(shown_by(self._clock()))
            if newer is not None and newer is not current:
                current, image = newer, self._place(newer.pixels, size)
            sink.write(image)
            self.sent += 1
            now = time.monotonic()
            self._meter.tick(now)
            due += 1 / self.fps
            if due < now - 1 / self.fps:  # fell behind (a slow write): do not burst to catch up
                due = now
            self._stop.wait(max(0.0, due - time.monotonic()))

    def _place(self, pixels: np.ndarray, size: tuple[int, int]) -> np.ndarray:
        return pixels if pixels.shape[1::-1] == size else compose(pixels, size, self.mode)

    def _fail(self, message: str) -> None:
        self._state = f"error: {message}"
        log.warning("output %s stopped: %s", self.name, message)

    def _close_sink(self, sink: Sink) -> None:
        try:
            sink.close()
        except Exception as error:  # noqa: BLE001  (closing a broken connection may fail too)
            log.warning("output %s did not close cleanly: %s", self.name, error)
