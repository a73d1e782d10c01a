"""Slew: how a smoothed parameter moves from where it was towards a newly written value.

The value is a closed-form function of (write time, value at the write, target, now), so two
runs with the same write times give the same values frame for frame, at any frame rate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Slew:
    """A glide from `start` (at time `since`) towards `target`."""

    start: float
    target: float
    since: float

    def at(self, t: float, seconds: float, kind: str) -> float:
        elapsed = t - self.since
        if seconds <= 0 or self.start == self.target:
            return self.target
        if elapsed <= 0:
            return self.start
        if kind == "linear":
            return self.start + (self.target - self.start) * min(1.0, elapsed / seconds)
        return self.target + (self.start - self.target) * math.exp(-elapsed / seconds)

    def integral(self, a: float, b: np.ndarray, seconds: float, kind: str) -> np.ndarray:
        """The integral of the value from time `a` to each time in `b`, in closed form: a speed's
        glide integrates to the same distance whichever frames it was sampled at."""
        return self._antiderivative(np.asarray(b, dtype=np.float64), seconds, kind) - self._antiderivative(
            np.float64(a), seconds, kind
        )

    def _antiderivative(self, t: np.ndarray, seconds: float, kind: str) -> np.ndarray:
        """An antiderivative of `at`, zero at `since` (times relative to it keep float64 precise)."""
        elapsed = t - self.since
        if seconds <= 0 or self.start == self.target:
            return self.target * elapsed
        after = np.maximum(elapsed, 0.0)
        before = self.start * np.minimum(elapsed, 0.0)
        change = self.target - self.start
        if kind == "linear":
            gliding = np.minimum(after, seconds)
            glided = self.start * gliding + change * gliding * gliding / (2 * seconds)
            return before + glided + self.target * (after - gliding)
        return before + self.target * after - change * seconds * -np.expm1(-after / seconds)

    def retarget(self, target: float, t: float, seconds: float, kind: str) -> "Slew":
        """A new glide from wherever this one is at time `t`."""
        return Slew(self.at(t, seconds, kind), target, max(t, self.since))
