"""Features of one block of sound, computed as each block arrives (causal, no look-ahead).

Loudness and onsets come from the newest block alone, so they react within that block; band
energies, the centroid and the chroma need finer frequency resolution and read a longer window
(`fft` samples) ending at the newest sample. Levels are normalised by an adaptive range, so a
quiet room and a club both sweep the whole 0..1: the range widens at once to take a louder or
quieter sound in, and narrows again over `adapt_seconds`.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

import numpy as np

SILENCE_DB = -100.0
CENTROID_RANGE_HZ = (100.0, 10000.0)  # brightness 0 and 1: fixed, so a pitch means the same all night
CHROMA_RANGE_HZ = (55.0, 5000.0)  # A1 up to where harmonics stop telling notes apart
ONSET_GAMMA = 100.0  # log compression of magnitudes before the flux: quiet partials count too
ONSET_RATIO = 1.6  # an onset is a flux this far above the recent median...
ONSET_FLOOR = 0.08  # ...and above this fraction of the recent peak
ONSET_REFRACTORY_S = 0.06  # a drum's ring is not a second onset
ONSET_HISTORY_S = 0.5
ONSET_WARM_UP_BLOCKS = 4


class AdaptiveRange:
    """Maps x onto [0, 1] between the lowest and highest values seen lately. A new extreme moves
    the bound at once; otherwise the bounds creep towards each other, covering their gap in
    about `seconds`, but never closer than `min_span`."""

    def __init__(self, seconds: float, block_rate: float, min_span: float) -> None:
        self._creep = 1.0 / max(seconds * block_rate, 1.0)
        self._min_span = min_span
        self.low: float | None = None
        self.high: float | None = None

    def __call__(self, x: float) -> float:
        if self.low is None:
            self.low, self.high = x - self._min_span, x
        gap = self.high - self.low
        self.low = x if x < self.low else self.low + gap * self._creep
        self.high = x if x > self.high else self.high - gap * self._creep
        if self.high - self.low < self._min_span:
            middle = 0.5 * (self.high + self.low)
            self.low, self.high = middle - 0.5 * self._min_span, middle + 0.5 * self._min_span
        return min(max((x - self.low) / (self.high - self.low), 0.0), 1.0)


@dataclass(frozen=True)
class BlockFeatures:
    """What one block sounded like. Levels in [0, 1]; `flux` is the raw onset strength (for
    the beat tracker); `chroma` is 12 numbers in [0, 1], C first, loudest class 1."""

    loudness: float
    db: float
    onset: float
    onset_event: bool
    flux: float
    bands: dict[str, float]
    centroid: float
    chroma: np.ndarray = field(repr=False)
    pitch_class: int


def tukey(n: int, taper: float = 0.25) -> np.ndarray:
    """A flat window with short cosine edges: the newest samples keep nearly full weight."""
    w = np.ones(n)
    edge = max(int(taper * n / 2), 1)
    ramp = 0.5 * (1 - np.cos(np.pi * np.arange(edge) / edge))
    w[:edge], w[-edge:] = ramp, ramp[::-1]
    return w


class Analyzer:
    """Features per block of `hop` samples at `sample_rate`; `bands` is ((name, low Hz, high Hz), ...)."""

    def __init__(
        self,
        sample_rate: float,
        hop: int,
        fft: int,
        bands: tuple[tuple[str, float, float], ...],
        adapt_seconds: float = 10.0,
    ) -> None:
        self.sample_rate, self.hop, self.fft = sample_rate, hop, max(fft, hop)
        self.block_rate = sample_rate / hop
        self._buffer = np.zeros(self.fft, np.float32)
        self._window = np.hanning(self.fft).astype(np.float32)
        self._onset_window = tukey(hop).astype(np.float32)
        freqs = np.fft.rfftfreq(self.fft, 1.0 / sample_rate)
        self._freqs = freqs
        self._band_masks = {name: (freqs >= lo) & (freqs < hi) for name, lo, hi in bands}
        self._bin_hz = float(freqs[1])
        self._chroma_bins = (freqs >= CHROMA_RANGE_HZ[0]) & (freqs <= CHROMA_RANGE_HZ[1])
        self._loudness = AdaptiveRange(adapt_seconds, self.block_rate, 18.0)
        self._band_ranges = {name: AdaptiveRange(adapt_seconds, self.block_rate, 18.0) for name, *_ in bands}
        self._flux_peak = AdaptiveRange(adapt_seconds, self.block_rate, 1e-6)
        self._flux_history: deque[float] = deque(maxlen=max(int(ONSET_HISTORY_S * self.block_rate), 3))
        self._previous_spectrum: np.ndarray | None = None
        self._since_onset = math.inf
        self._pitch_class = 0

    def process(self, block: np.ndarray) -> BlockFeatures:
        """The features of the next `hop` mono samples."""
        block = np.asarray(block, np.float32)
        self._buffer = np.concatenate((self._buffer[len(block) :], block))
        rms = float(np.sqrt(np.mean(np.square(block, dtype=np.float64))))
        db = 20.0 * math.log10(rms) if rms > 1e-5 else SILENCE_DB
        flux = self._flux(block)
        onset_event = self._is_onset(flux)
        power = np.square(np.abs(np.fft.rfft(self._buffer * self._window)))
        total = float(power.sum())
        bands = {
            name: level(self._band_ranges[name], decibels(float(power[mask].sum())))
            for name, mask in self._band_masks.items()
        }
        return BlockFeatures(
            loudness=level(self._loudness, db),
            db=db,
            onset=self._flux_peak(flux) if flux > 0 else 0.0,
            onset_event=onset_event,
            flux=flux,
            bands=bands,
            centroid=self._centroid(power, total),
            chroma=self._chroma(power),
            pitch_class=self._pitch_class,
        )

    def _flux(self, block: np.ndarray) -> float:
        spectrum = np.log1p(ONSET_GAMMA * np.abs(np.fft.rfft(block * self._onset_window[: len(block)])))
        previous, self._previous_spectrum = self._previous_spectrum, spectrum
        if previous is None or len(previous) != len(spectrum):
            return 0.0
        return float(np.maximum(spectrum - previous, 0.0).sum() / len(spectrum))

    def _is_onset(self, flux: float) -> bool:
        """Spectral flux above an adaptive threshold: the recent median times a ratio, and a
        fraction of the recent peak (so the decay of a loud hit is no onset)."""
        history = self._flux_history
        threshold = max(
            ONSET_RATIO * (float(np.median(history)) if history else 0.0),
            ONSET_FLOOR * (self._flux_peak.high or 0.0),
            1e-3,
        )
        warmed_up = len(history) >= ONSET_WARM_UP_BLOCKS  # the first blocks have nothing to rise from
        history.append(flux)
        self._since_onset += 1.0 / self.block_rate
        if warmed_up and flux > threshold and self._since_onset >= ONSET_REFRACTORY_S:
            self._since_onset = 0.0
            return True
        return False

    def _centroid(self, power: np.ndarray, total: float) -> float:
        if total <= 1e-12:
            return 0.0
        hz = float((self._freqs * power).sum() / total)
        lo, hi = CENTROID_RANGE_HZ
        return min(max(math.log(max(hz, lo) / lo) / math.log(hi / lo), 0.0), 1.0)

    def _chroma(self, power: np.ndarray) -> np.ndarray:
        """Pitch classes from the spectrum's peaks, each at its frequency refined between bins
        (a parabola through the log power), so a note is placed to within a fraction of a bin
        rather than smeared over the window's main lobe into its neighbours."""
        inner = power[1:-1]
        peak = (inner > power[:-2]) & (inner >= power[2:]) & self._chroma_bins[1:-1] & (inner > 1e-10)
        k = np.flatnonzero(peak) + 1
        chroma = np.zeros(12)
        if len(k):
            a, b, c = (np.log(power[k + d] + 1e-20) for d in (-1, 0, 1))
            curvature = a - 2 * b + c
            shift = np.where(curvature < 0, 0.5 * (a - c) / np.where(curvature < 0, curvature, -1.0), 0.0)
            hz = (k + shift) * self._bin_hz
            classes = np.rint(69.0 + 12.0 * np.log2(hz / 440.0)).astype(int) % 12
            np.add.at(chroma, classes, power[k])
        top = float(chroma.max())
        if top <= 1e-9:
            return np.zeros(12, np.float32)
        self._pitch_class = int(np.argmax(chroma))  # kept through silence: harmony holds its last chord
        return (chroma / top).astype(np.float32)


def level(normalise: AdaptiveRange, db: float) -> float:
    """A level in dB on its adaptive range; silence is 0 and leaves the range as it was."""
    return 0.0 if db <= SILENCE_DB else normalise(db)


def decibels(power: float) -> float:
    return 10.0 * math.log10(power) if power > 1e-10 else SILENCE_DB
