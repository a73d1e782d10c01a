"""A one-line progress bar on stderr, redrawn in place."""

from __future__ import annotations

import sys
import time
from typing import TextIO

WIDTH = 30
REDRAW_S = 0.25  # a bar redrawn for every frame floods logs that capture stderr


class Progress:
    def __init__(self, total: int, what: str = "frames", stream: TextIO | None = None) -> None:
        # stderr as it is now, not as it was at import (tests and tools replace it)
        self.total, self.what, self.stream = total, what, stream or sys.stderr
        self.done = 0
        self._start = time.monotonic()
        self._drawn = -REDRAW_S

    def advance(self, n: int = 1) -> None:
        self.done += n
        elapsed = time.monotonic() - self._start
        if elapsed - self._drawn < REDRAW_S and self.done < self.total:
            return
        self._drawn = elapsed
        rate = self.done / elapsed if elapsed > 0 else 0.0
        left = (self.total - self.done) / rate if rate > 0 else 0.0
        filled = WIDTH * self.done // max(self.total, 1)
        self.stream.write(
            f"\r[{'#' * filled}{'.' * (WIDTH - filled)}] {self.done}/{self.total} {self.what}"
            f"  {rate:.1f}/s  {left:.0f} s left "
        )
        self.stream.flush()

    def finish(self) -> None:
        elapsed = time.monotonic() - self._start
        self.stream.write(f"\r{' ' * (WIDTH + 50)}\r{self.done} {self.what} in {elapsed:.1f} s\n")
        self.stream.flush()
