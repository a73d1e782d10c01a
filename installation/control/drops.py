"""Counting what the control surfaces refuse, without letting a flood of garbage flood the log.

Every dropped message is counted by reason. A log line is written at most once per address per
minute, and at most `burst` lines per minute in all, so a fuzzer or a misconfigured sender
cannot fill the disk of a machine that runs for weeks.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable


class Drops:
    """Per-reason counters of refused input, with rate-limited logging."""

    def __init__(
        self,
        log: logging.Logger,
        *,
        interval: float = 60.0,
        burst: int = 20,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._log = log
        self._interval = interval
        self._burst = burst
        self._clock = clock
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._logged_at: dict[str, float] = {}
        self._window_start = -interval
        self._window_lines = 0
        self._silenced = 0

    def drop(self, reason: str, address: str = "", detail: str = "") -> None:
        """Count one refused message; log it unless this address (or everything) was just logged."""
        now = self._clock()
        with self._lock:
            self._counts[reason] += 1
            if now - self._window_start >= self._interval:
                if self._silenced:
                    self._log.warning("%d more refused messages were not logged", self._silenced)
                self._window_start, self._window_lines, self._silenced = now, 0, 0
                # Forget addresses whose minute is over, so random addresses cannot grow the dict.
                self._logged_at = {a: t for a, t in self._logged_at.items() if now - t < self._interval}
            last = self._logged_at.get(address)
            if (last is not None and now - last < self._interval) or self._window_lines >= self._burst:
                self._silenced += 1
                return
            self._logged_at[address] = now
            self._window_lines += 1
        self._log.warning("%s: %s%s", address[:80] or "message", reason, f" ({detail})" if detail else "")

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def total(self) -> int:
        with self._lock:
            return sum(self._counts.values())
