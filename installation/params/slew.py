"""Slew: how a smoothed parameter moves from where it was towards a newly written value.

The value is a closed-form function of (write time, value at the write, target, now), so two
runs with the same write times give the same values frame for frame, at any frame rate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


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

    def retarget(self, target: float, t: float, seconds: float, kind: str) -> "Slew":
        """A new glide from wherever this one is at time `t`."""
        return Slew(self.at(t, seconds, kind), target, max(t, self.since))
