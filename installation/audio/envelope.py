"""Envelope followers: how a feature's number becomes a movement that looks like the sound.

A pulse looks right when it rises fast and falls slowly, so rises and falls have their own time
constants. The gate silences what stays below a threshold (room noise, a hum) and spreads the
rest over the whole range again, so a gated feature still reaches 0 and 1.
"""

from __future__ import annotations

import math


class Envelope:
    """One-pole follower: `attack` / `release` are seconds to cover about 63% of a rise / fall
    (0 follows at once); `gate` is a level in [0, 1]. Follow a level with `follow`, or events
    with `pulse`; one envelope does one of them."""

    def __init__(self, attack: float, release: float, gate: float = 0.0) -> None:
        self.attack, self.release = attack, release
        self.gate = gate
        self.value: float | None = None
        self._rising = False

    def follow(self, x: float, dt: float) -> float:
        """The envelope after `dt` seconds more of input `x`."""
        if self.gate > 0:
            x = 0.0 if x < self.gate else (x - self.gate) / (1.0 - self.gate)
        if self.value is None:
            self.value = x
            return x
        seconds = self.attack if x > self.value else self.release
        keep = math.exp(-dt / seconds) if seconds > 0 else 0.0
        self.value = x + (self.value - x) * keep
        return self.value

    def pulse(self, fired: bool, dt: float) -> float:
        """For events (beats, onsets): each one starts a rise to 1 taking `attack` seconds (so an
        instant still reaches the top), then the value falls with `release`."""
        value = self.value or 0.0
        self._rising = self._rising or fired
        if self._rising:
            value = min(value + (dt / self.attack if self.attack > 0 else 1.0), 1.0)
            self._rising = value < 1.0
        else:
            value *= math.exp(-dt / self.release) if self.release > 0 else 0.0
        self.value = value
        return value

    def reset(self) -> None:
        self.value = None
        self._rising = False
