"""Fades: parameters moved over time by the control thread (scene crossfades, the autopilot
easing back to defaults, a lost camera's parameters returning, a mapping's smoothing).

The bus smooths each parameter with its own time constant; a fade has its own duration, chosen
by whoever starts it, so it is written step by step from the ticker instead. A new fade or a
direct write to the same parameter replaces the running one.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass

# (name, value, source, writer) -> None
Write = Callable[[str, float, str, str], None]


@dataclass
class _Fade:
    start: float
    target: float
    since: float
    seconds: float
    shape: str  # "linear": reach the target in `seconds`; "glide": exponential, time constant
    source: str
    writer: str

    def at(self, t: float) -> tuple[float, bool]:
        """Value at t, and whether the fade is over."""
        elapsed = t - self.since
        if self.shape == "linear":
            if elapsed >= self.seconds:
                return self.target, True
            return self.start + (self.target - self.start) * elapsed / self.seconds, False
        remaining = math.exp(-elapsed / self.seconds)
        if remaining < 0.002:  # ~6 time constants: close enough to land on the target
            return self.target, True
        return self.target + (self.start - self.target) * remaining, False


class Fader:
    """Running fades, advanced by `tick(now)` from the control thread."""

    def __init__(self, write: Write) -> None:
        self._write = write
        self._lock = threading.Lock()
        self._fades: dict[str, _Fade] = {}

    def fade(
        self,
        name: str,
        start: float,
        target: float,
        seconds: float,
        t: float,
        *,
        shape: str = "linear",
        source: str,
        writer: str,
    ) -> None:
        """Move `name` from `start` to `target`: linearly over `seconds`, or gliding with that time
        constant. A zero duration writes the target at once."""
        if seconds <= 0 or start == target:
            self.cancel(name)
            self._write(name, target, source, writer)
            return
        with self._lock:
            self._fades[name] = _Fade(float(start), float(target), t, seconds, shape, source, writer)

    def cancel(self, name: str) -> None:
        with self._lock:
            self._fades.pop(name, None)

    def cancel_source(self, source: str) -> None:
        with self._lock:
            self._fades = {n: f for n, f in self._fades.items() if f.source != source}

    def tick(self, now: float) -> None:
        with self._lock:
            fades = list(self._fades.items())
        for name, fade in fades:
            value, done = fade.at(now)
            with self._lock:
                if self._fades.get(name) is not fade:
                    continue  # replaced or cancelled meanwhile
                if done:
                    del self._fades[name]
            self._write(name, value, fade.source, fade.writer)
