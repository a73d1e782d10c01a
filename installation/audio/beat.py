"""Tempo and beats from the onset strength, one number per block.

The tempo is the period at which the onset strength best matches itself shifted
(autocorrelation), with a mild preference for tempos near 120 BPM so a half or double tempo
does not win on a near tie. The period is then refined from the peak near four periods, where
one block of error weighs a quarter as much. The beat phase is the offset at which a comb of
that period collects the most onset strength. Live, beats are predicted from the last ones
found and re-anchored every `update_s`; `offline.py` places them over a whole song instead.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

PREFERRED_BPM = 120.0
PRIOR_OCTAVES = 1.0  # width of the preference, in octaves of tempo
SPREAD = np.array([1.0, 2.0, 3.0, 2.0, 1.0]) / 9.0


@dataclass(frozen=True)
class BeatState:
    """`beat` is true in the block where a beat falls; `count` numbers the beats so far; `phase`
    runs from 0 at a beat to 1 at the next; `bpm` is None until a tempo was found."""

    beat: bool = False
    count: int = 0
    phase: float = 0.0
    bpm: float | None = None
    confidence: float = 0.0


def autocorrelation(x: np.ndarray) -> np.ndarray:
    """Unbiased, normalised autocorrelation of x minus its mean (1 at lag 0; 0 for constant x)."""
    x = np.asarray(x, np.float64) - float(np.mean(x))
    n = len(x)
    spectrum = np.fft.rfft(x, 2 * n)
    ac = np.fft.irfft(np.abs(spectrum) ** 2)[:n]
    if ac[0] <= 1e-12:
        return np.zeros(n)
    return ac / ac[0] * n / (n - np.arange(n))


def _peak_near(ac: np.ndarray, lag: float) -> float:
    """The fractional lag of the autocorrelation peak nearest `lag` (parabolic fit)."""
    k = int(round(lag))
    lo, hi = max(k - 2, 1), min(k + 3, len(ac) - 1)
    k = lo + int(np.argmax(ac[lo:hi]))
    if k <= 0 or k >= len(ac) - 1:
        return float(k)
    a, b, c = ac[k - 1], ac[k], ac[k + 1]
    curvature = a - 2 * b + c
    return k + (0.5 * (a - c) / curvature if curvature < 0 else 0.0)


def estimate_tempo(
    strength: np.ndarray, block_rate: float, tempo_range: tuple[float, float]
) -> tuple[float, float] | None:
    """(bpm, confidence in [0, 1]) of an onset-strength series, or None if too short or flat."""
    low_bpm, high_bpm = tempo_range
    longest = 60.0 * block_rate / low_bpm
    if len(strength) < 2.5 * longest:
        return None
    # Onsets land on a grid of blocks, a block early or late: widen each peak to a few blocks so
    # the autocorrelation at a fractional lag still meets them.
    ac = autocorrelation(np.convolve(strength, SPREAD, mode="same"))
    bpms = np.arange(low_bpm, high_bpm + 0.05, 0.1)
    lags = 60.0 * block_rate / bpms
    lags_index = np.arange(len(ac))
    score = np.interp(lags, lags_index, ac) + 0.5 * np.interp(2 * lags, lags_index, ac, right=0.0)
    prior = np.exp(-0.5 * (np.log2(bpms / PREFERRED_BPM) / PRIOR_OCTAVES) ** 2)
    best = int(np.argmax(score * prior))
    if score[best] <= 0:
        return None
    lag = _peak_near(ac, lags[best])
    for multiple in (2, 4):  # a peak further out pins the period down more finely
        if multiple * lag < len(ac) - 3:
            lag = _peak_near(ac, multiple * lag) / multiple
    confidence = float(np.clip(np.interp(lag, lags_index, ac), 0.0, 1.0))
    return 60.0 * block_rate / lag, confidence


def best_offset(strength: np.ndarray, period: float) -> float:
    """Blocks back from the newest to the latest beat: where a comb of `period` collects the
    most onset strength (recent beats weigh more)."""
    n = len(strength)
    offsets = np.arange(0.0, period, 0.5)
    teeth = np.arange(int((n - 1) / period))
    positions = (n - 1) - offsets[:, None] - teeth[None, :] * period
    weights = 0.9 ** teeth[None, :]
    collected = (np.interp(positions, np.arange(n), strength) * weights).sum(axis=1)
    return float(offsets[int(np.argmax(collected))])


class BeatTracker:
    """Causal beat tracking at `block_rate` blocks per second: `update(strength)` once a block."""

    def __init__(
        self,
        block_rate: float,
        tempo_range: tuple[float, float] = (60.0, 180.0),
        history_s: float = 8.0,
        update_s: float = 0.5,
    ) -> None:
        self.block_rate = block_rate
        self.tempo_range = tempo_range
        self._history: deque[float] = deque(maxlen=int(history_s * block_rate))
        self._update_every = max(int(update_s * block_rate), 1)
        self._index = -1  # blocks seen
        self._period: float | None = None
        self._confidence = 0.0
        self._next_beat = math.inf
        self._last_beat: float | None = None
        self._count = 0

    def update(self, strength: float) -> BeatState:
        self._index += 1
        self._history.append(strength)
        if self._index % self._update_every == 0:
            self._estimate()
        beat = self._index >= self._next_beat
        if beat:
            self._last_beat = self._next_beat
            self._count += 1
            self._next_beat += self._period
        if self._period is None:
            return BeatState()
        phase = 0.0 if self._last_beat is None else ((self._index - self._last_beat) / self._period) % 1.0
        return BeatState(beat, self._count, phase, 60.0 * self.block_rate / self._period, self._confidence)

    def _estimate(self) -> None:
        strength = np.asarray(self._history)
        found = estimate_tempo(strength, self.block_rate, self.tempo_range)
        if found is None:
            return
        bpm, self._confidence = found
        self._period = period = 60.0 * self.block_rate / bpm
        latest = self._index - best_offset(strength, period)
        upcoming = latest + period * math.ceil((self._index - latest) / period)
        # Re-anchoring never doubles a beat just given nor skips one.
        if self._last_beat is not None and upcoming - self._last_beat < 0.5 * period:
            upcoming += period
        self._next_beat = upcoming
