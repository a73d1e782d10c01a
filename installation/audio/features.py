"""Blocks of any length in, one `Features` per analysis block out: the analyser and the beat
tracker together, and the names `[[mappings]] audio = ...` reads them by."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from installation.audio.analysis import Analyzer, BlockFeatures
from installation.audio.beat import BeatState, BeatTracker
from installation.show.control_sections import CHROMA_NAMES, AudioSettings


@dataclass(frozen=True)
class Features:
    """One analysis block: `t` is the seconds of sound analysed up to its end."""

    t: float
    sound: BlockFeatures
    beat: BeatState

    def value(self, name: str) -> float:
        """The feature a mapping names ("onset", "band:low", "chroma:A", ...); NaN when there is
        none yet (a tempo before the tracker found one), which mappings skip."""
        kind, _, argument = name.partition(":")
        if kind == "band":
            return self.sound.bands.get(argument, float("nan"))
        if kind == "chroma" and argument:
            return float(self.sound.chroma[CHROMA_NAMES.index(argument)])
        simple = {
            "loudness": self.sound.loudness,
            "onset": self.sound.onset,
            "onset_event": float(self.sound.onset_event),
            "beat": float(self.beat.beat),
            "beat_phase": self.beat.phase,
            "tempo": float("nan") if self.beat.bpm is None else self.beat.bpm,
            "confidence": self.beat.confidence,
            "centroid": self.sound.centroid,
            "chroma": float(self.sound.pitch_class),
        }
        return simple[kind]

    def is_event(self, name: str) -> bool:
        return (name == "beat" and self.beat.beat) or (name == "onset_event" and self.sound.onset_event)

    def summary(self) -> dict[str, float | str]:
        """A few rounded numbers for the HUD."""
        info: dict[str, float | str] = {
            "loudness": round(self.sound.loudness, 2),
            "onset": round(self.sound.onset, 2),
            "centroid": round(self.sound.centroid, 2),
            "chord": CHROMA_NAMES[self.sound.pitch_class],
        }
        info.update((f"band {k}", round(v, 2)) for k, v in self.sound.bands.items())
        if self.beat.bpm is not None:
            info["tempo"] = f"{self.beat.bpm:.1f} BPM ({self.beat.confidence:.0%})"
        return info


class FeatureExtractor:
    """Cuts incoming samples into `settings.block`-sample blocks and analyses each."""

    def __init__(self, settings: AudioSettings, sample_rate: float) -> None:
        self.sample_rate = sample_rate
        self.hop = settings.block
        self.analyzer = Analyzer(
            sample_rate, settings.block, settings.fft, settings.bands, settings.adapt_seconds
        )
        self.tracker = BeatTracker(sample_rate / settings.block, (settings.tempo_min, settings.tempo_max))
        self._pending = np.zeros(0, np.float32)
        self._blocks = 0

    def feed(self, samples: np.ndarray) -> list[Features]:
        """Mono samples in; the features of every block they complete."""
        pending = np.concatenate((self._pending, np.asarray(samples, np.float32)))
        out = []
        whole = len(pending) // self.hop * self.hop
        for start in range(0, whole, self.hop):
            sound = self.analyzer.process(pending[start : start + self.hop])
            self._blocks += 1
            out.append(
                Features(self._blocks * self.hop / self.sample_rate, sound, self.tracker.update(sound.flux))
            )
        self._pending = pending[whole:]
        return out
