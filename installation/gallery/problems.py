"""Problems worth showing on the HUD: what the piece gave up to keep running.

The supervisor tells the renderer the problems it knows of (a broken show file, the default
model standing in for a missing one, a step down after crashes), which the renderer `inherit`s;
the renderer adds its own with `report`. The HUD shows `current()`. The list is short and
bounded, so a recurring problem cannot grow it. `SHOWN` is the renderer process's list.
"""

from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)

MAX_PROBLEMS = 8
MAX_CHARS = 300


class Problems:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._inherited: list[str] = []
        self._reported: list[str] = []

    def inherit(self, problems: list[str]) -> None:
        """Problems the supervisor already logged: listed, not logged again."""
        with self._lock:
            self._inherited = [p[:MAX_CHARS] for p in problems[-MAX_PROBLEMS:]]

    def report(self, problem: str) -> None:
        """Add a problem (logged as a warning); one already listed is not repeated."""
        problem = problem[:MAX_CHARS]
        with self._lock:
            if problem in self._reported or problem in self._inherited:
                return
            self._reported = [*self._reported, problem][-MAX_PROBLEMS:]
        log.warning("%s", problem)

    def current(self) -> list[str]:
        """Everything to show, oldest first."""
        with self._lock:
            return (self._inherited + self._reported)[-MAX_PROBLEMS:]


SHOWN = Problems()
