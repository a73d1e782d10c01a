"""A whole song analysed before a music video is rendered, with the look-ahead live input lacks.

The same per-block features as live (so a show looks the same rendered as played), improved
where knowing the future helps:
- the beats are placed over the whole song at once: one tempo from the whole onset-strength
  series, then the beat sequence that best fits both the onsets and that tempo (dynamic
  programming, after Ellis, "Beat Tracking by Dynamic Programming", 2007), instead of beats
  predicted from the last few seconds;
- the band energies, centroid and chroma, which live read a window ending at the newest
  sample (and so lag by half of it), are moved back to the moment they describe.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from installation.audio.beat import BeatState, estimate_tempo
from installation.audio.features import FeatureExtractor, Features
from installation.audio.inputs import AudioUnavailable, load_module
from installation.errors import UserError
from installation.show.control_sections import AudioSettings

SUFFIXES = (".wav", ".flac", ".mp3")
TIGHTNESS = 100.0  # how strongly the placed beats keep to the tempo against stray onsets


@dataclass(frozen=True)
class Song:
    """The sound (all channels, for the video's audio track) and its features, one per block."""

    path: Path
    samples: np.ndarray  # [frames, channels] float32
    rate: float
    features: list[Features]
    bpm: float | None
    confidence: float

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.rate


def read_song(path: Path) -> tuple[np.ndarray, float]:
    """All channels of a WAV, FLAC or MP3 file; UserError (one line) for anything else."""
    if path.suffix.lower() not in SUFFIXES:
        raise UserError(f"--audio {path}: expected a .wav, .flac or .mp3 file")
    if not path.is_file():
        raise UserError(f"--audio {path}: no such file")
    try:
        sf = load_module("soundfile", "libsndfile1")
        samples, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except AudioUnavailable as error:
        raise UserError(f"--audio: {error}") from None
    except (RuntimeError, OSError) as error:  # soundfile's LibsndfileError is a RuntimeError
        reason = str(error).rsplit(": ", 1)[-1].strip().rstrip(".")  # libsndfile's words, without the path
        raise UserError(f"--audio {path}: not a sound file it can read ({reason})") from None
    if len(samples) == 0:
        raise UserError(f"--audio {path}: the file holds no sound")
    return samples, float(rate)


def analyse_song(path: Path, settings: AudioSettings) -> Song:
    samples, rate = read_song(path)
    extractor = FeatureExtractor(settings, rate)
    mono = samples.mean(axis=1, dtype=np.float32)
    padded = np.concatenate([mono, np.zeros(-len(mono) % settings.block, np.float32)])
    features = extractor.feed(padded)
    block_rate = rate / settings.block
    strength = np.array([f.sound.flux for f in features])
    found = estimate_tempo(strength, block_rate, (settings.tempo_min, settings.tempo_max))
    bpm, confidence = found if found is not None else (None, 0.0)
    if bpm is not None:
        features = with_beats(features, place_beats(strength, 60.0 * block_rate / bpm), bpm, confidence)
    lag = round((extractor.analyzer.fft - settings.block) / 2 / settings.block)
    return Song(path, samples, rate, centred(features, lag), bpm, confidence)


def place_beats(strength: np.ndarray, period: float) -> np.ndarray:
    """Block indices of the beats: the sequence whose onset strength, less a penalty for every
    gap that strays from `period` (squared log ratio), is largest."""
    score = strength / (float(np.std(strength)) or 1.0)
    n = len(score)
    total = score.copy()
    previous = np.full(n, -1)
    shortest, longest = max(int(round(period / 2)), 1), int(round(2 * period))
    for t in range(shortest, n):
        candidates = np.arange(max(t - longest, 0), t - shortest + 1)
        gains = total[candidates] - TIGHTNESS * np.log((t - candidates) / period) ** 2
        best = int(np.argmax(gains))
        if gains[best] > 0:
            total[t] += gains[best]
            previous[t] = candidates[best]
    tail = np.arange(max(n - int(round(period)), 0), n)
    t = int(tail[np.argmax(total[tail])])
    beats = [t]
    while previous[t] >= 0:
        t = int(previous[t])
        beats.append(t)
    return np.array(beats[::-1])


def with_beats(features: list[Features], beats: np.ndarray, bpm: float, confidence: float) -> list[Features]:
    """The features with the placed beats in place of the live tracker's."""
    out = []
    upcoming = 0
    for index, f in enumerate(features):
        while upcoming < len(beats) and beats[upcoming] < index:
            upcoming += 1
        on_beat = upcoming < len(beats) and beats[upcoming] == index
        count = upcoming + (1 if on_beat else 0)
        last = beats[count - 1] if count else None
        following = beats[count] if count < len(beats) else None
        if last is not None and following is not None:
            phase = (index - last) / (following - last)
        else:
            phase = 0.0
        state = BeatState(on_beat, count, float(phase), bpm, confidence)
        out.append(dataclasses.replace(f, beat=state))
    return out


def centred(features: list[Features], lag: int) -> list[Features]:
    """Band energies, centroid and chroma moved `lag` blocks earlier, to the sound they describe
    (the last blocks keep the final window's)."""
    if lag <= 0:
        return features
    out = []
    for index, f in enumerate(features):
        ahead = features[min(index + lag, len(features) - 1)].sound
        sound = dataclasses.replace(
            f.sound,
            bands=ahead.bands,
            centroid=ahead.centroid,
            chroma=ahead.chroma,
            pitch_class=ahead.pitch_class,
        )
        out.append(dataclasses.replace(f, sound=sound))
    return out
