"""MIDI clock in, tempo out: 24 clock messages per beat become the `bpm` parameter.

The tempo is the average over the last two beats (48 intervals), so USB and scheduling jitter
of a millisecond or two moves it by hundredths of a BPM rather than whole ones; it is written
twice a beat. Start and continue begin a new measurement, stop holds the last tempo, and a
pause of more than a second (a sequencer stopped without saying so) starts afresh.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from installation.control.controls import Controls

PPQN = 24
WINDOW = 2 * PPQN  # intervals averaged
WRITE_EVERY = PPQN // 2  # ticks between writes
MAX_GAP = 1.0  # seconds; a longer silence means the clock stopped


class MidiClock:
    def __init__(self, controls: "Controls", parameter: str = "bpm") -> None:
        self._controls = controls
        self._parameter = parameter
        self._times: deque[float] = deque(maxlen=WINDOW + 1)
        self._running = True
        self._since_write = 0
        self.bpm: float | None = None

    def tick(self, t: float) -> None:
        if not self._running:
            return
        if self._times and t - self._times[-1] > MAX_GAP:
            self._times.clear()
        self._times.append(t)
        self._since_write += 1
        if len(self._times) > PPQN and self._since_write >= WRITE_EVERY:
            self._since_write = 0
            span = self._times[-1] - self._times[0]
            if span > 0:
                self.bpm = round(60.0 * (len(self._times) - 1) / (PPQN * span), 2)
                self._controls.write(self._parameter, self.bpm, "midi-clock", "midi-clock")

    def start(self) -> None:
        self._times.clear()
        self._since_write = 0
        self._running = True

    def stop(self) -> None:
        self._running = False
