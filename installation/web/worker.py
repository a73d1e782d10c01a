"""A thread that sleeps until it is woken, for the page's background work (preview, explorer)."""

from __future__ import annotations

import threading
from collections.abc import Callable


class Worker:
    """`_run` (the subclass's loop) waits on `_wake` and returns once `_stopped` is set."""

    def __init__(self, name: str, join_seconds: float = 5.0) -> None:
        self._wake = threading.Condition()
        self._stopped = False
        self._join_seconds = join_seconds
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _run(self) -> None:
        raise NotImplementedError

    @property
    def thread_id(self) -> int | None:
        """The thread's system id (for CPU accounting)."""
        return self._thread.native_id

    def start(self):
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._wake:
            self._stopped = True
            self._wake.notify()
        self._thread.join(timeout=self._join_seconds)

    def _wait_for(self, ready: Callable[[], bool]) -> bool:
        """Wait (holding `_wake`) until `ready()` or a stop; False when stopped."""
        while not ready() and not self._stopped:
            self._wake.wait()
        return not self._stopped
