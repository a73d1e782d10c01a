"""Test signals with known answers: click tracks at a known tempo, and a JACK client playing them."""

from __future__ import annotations

import os
import threading

import numpy as np

RATE = 48000


def click_track(
    bpm: float, seconds: float, rate: int = RATE, start: float = 0.25
) -> tuple[np.ndarray, np.ndarray]:
    """Samples of short noise bursts every beat over faint noise, and the burst times (s)."""
    rng = np.random.default_rng(7)
    x = 0.002 * rng.standard_normal(int(seconds * rate)).astype(np.float32)
    times = np.arange(start, seconds - 0.05, 60.0 / bpm)
    n = int(0.012 * rate)
    burst = rng.standard_normal(n) * np.exp(-np.arange(n) / (0.003 * rate))
    for t in times:
        i = int(round(t * rate))
        x[i : i + n] += (0.5 * burst[: len(x) - i]).astype(np.float32)
    return x, times


class JackPlayer:
    """A second JACK client: plays `samples` (looped) from its output port "out"."""

    def __init__(self, samples: np.ndarray) -> None:
        import jack

        self.client = jack.Client(f"audio-test-player-{os.getpid()}", no_start_server=True)
        self.port = self.client.outports.register("out")
        self._samples = samples.astype(np.float32)
        self._position = 0
        self._playing = threading.Event()
        self.client.set_process_callback(self._process)
        self.client.activate()

    def _process(self, frames: int) -> None:
        out = self.port.get_array()
        if not self._playing.is_set():
            out[:] = 0.0
            return
        index = (self._position + np.arange(frames)) % len(self._samples)
        out[:] = self._samples[index]
        self._position = (self._position + frames) % len(self._samples)

    def play(self) -> None:
        self._playing.set()

    def close(self) -> None:
        self.client.deactivate()
        self.client.close()


def drum_loop(bpm: float, seconds: float, rate: int = RATE) -> np.ndarray:
    """Kick on 1 and 3, snare on 2 and 4, hi-hats on every eighth, over a held note and noise:
    a rhythm whose onsets come twice a beat, not all alike."""
    rng = np.random.default_rng(3)
    x = 0.01 * rng.standard_normal(int(seconds * rate)) + 0.05 * np.sin(
        2 * np.pi * 261.6 * np.arange(int(seconds * rate)) / rate
    )
    t = np.arange(int(0.25 * rate)) / rate
    kick = np.sin(2 * np.pi * (50 + 100 * np.exp(-t * 30)) * t) * np.exp(-t * 12)
    snare = 0.5 * rng.standard_normal(len(t)) * np.exp(-t * 25)
    hat = 0.2 * rng.standard_normal(len(t)) * np.exp(-t * 150)
    eighth = 30.0 / bpm
    for k in range(int((seconds - 0.3) / eighth)):
        for sound, on in ((kick, k % 4 == 0), (snare, k % 4 == 2), (hat, True)):
            if on:
                i = int(k * eighth * rate)
                x[i : i + len(sound)] += sound[: len(x) - i]
    return x.astype(np.float32)
