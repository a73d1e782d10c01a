"""The show clock: seconds since the show started, stopped while paused."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class ShowClock:
    """Show time follows `time_fn` (monotonic seconds) from 0, except while paused.

    Motion is a function of show time, so pausing freezes the picture and resuming continues
    where it stopped. Thread-safe: the display toggles it, the engine and the bus read it.
    """

    def __init__(self, time_fn: Callable[[], float] = time.monotonic, start: float = 0.0) -> None:
        self._time_fn = time_fn
        self._lock = threading.Lock()
        self._offset = time_fn() - start  # show time = time_fn() - offset while running
        self._paused_at: float | None = None

    def now(self) -> float:
        with self._lock:
            return self._paused_at if self._paused_at is not None else self._time_fn() - self._offset

    @property
    def paused(self) -> bool:
        return self._paused_at is not None

    def pause(self) -> None:
        with self._lock:
            if self._paused_at is None:
                self._paused_at = self._time_fn() - self._offset

    def resume(self) -> None:
        with self._lock:
            if self._paused_at is not None:
                self._offset = self._time_fn() - self._paused_at
                self._paused_at = None

    def toggle(self) -> bool:
        """Pause or resume; returns whether the clock is now paused."""
        if self.paused:
            self.resume()
        else:
            self.pause()
        return self.paused

    def seek(self, t: float, paused: bool = False) -> None:
        """Jump to show time `t`, paused there or running on from it (a follower taking its
        leader's clock)."""
        with self._lock:
            self._offset = self._time_fn() - t
            self._paused_at = t if paused else None
