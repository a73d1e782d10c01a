"""The control thread's clock: calls at a given time (bundles with future time tags) and jobs
that run on every tick (fades, echoes, MIDI feedback, the autopilot), all in one thread.

It never runs in the render loop, and a job that raises is logged and kept.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable

from installation.control.drops import Drops

log = logging.getLogger(__name__)

Job = Callable[[float], None]  # called with time.monotonic() of the tick


class Ticker:
    """Runs `every` jobs `rate` times a second and `call_later` calls when due."""

    def __init__(self, rate: float = 60.0, *, max_pending: int = 10000) -> None:
        self._period = 1.0 / rate
        self._max_pending = max_pending
        self._jobs: list[Job] = []
        self._pending: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()  # ties in time run in arrival order
        self._wake = threading.Condition()
        self._stop = False
        self._drops = Drops(log)
        self._thread = threading.Thread(target=self._run, name="control-ticker", daemon=True)

    def every(self, job: Job) -> None:
        with self._wake:
            self._jobs.append(job)

    def call_later(self, delay: float, call: Callable[[], None]) -> bool:
        """Run `call` in `delay` seconds; False when too many calls are waiting already."""
        with self._wake:
            if len(self._pending) >= self._max_pending:
                return False
            heapq.heappush(self._pending, (time.monotonic() + delay, next(self._order), call))
            self._wake.notify()
        return True

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with self._wake:
            self._stop = True
            self._wake.notify()
        if self._thread.is_alive():
            self._thread.join(timeout=2)

    def _run(self) -> None:
        next_tick = time.monotonic()
        while True:
            with self._wake:
                while not self._stop:
                    now = time.monotonic()
                    due = self._pending[0][0] if self._pending else next_tick
                    if min(due, next_tick) <= now:
                        break
                    self._wake.wait(min(due, next_tick) - now)
                if self._stop:
                    return
                ready = []
                while self._pending and self._pending[0][0] <= now:
                    ready.append(heapq.heappop(self._pending)[2])
                jobs = list(self._jobs) if next_tick <= now else []
            for call in ready:
                self._guard(call)
            if jobs:
                # Skip missed ticks rather than run them in a burst after a stall.
                next_tick = max(next_tick + self._period, now)
                for job in jobs:
                    self._guard(job, now)

    def _guard(self, call: Callable, *args: float) -> None:
        try:
            call(*args)
        except Exception as error:  # noqa: BLE001 - one failing job must not stop the others
            name = getattr(call, "__qualname__", "job")
            self._drops.drop("control job failed", name, f"{type(error).__name__}: {error}")
