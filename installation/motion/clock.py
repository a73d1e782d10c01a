"""The motion clock: wall-clock time -> motion phase, in cycles around the loop.

Speed and tempo change while the show runs, so the phase is their integral over time rather
than time times speed (which would jump when the speed knob moves). This is the one piece of
motion with state; everything downstream is a pure function of the phase.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from installation.params.bus import Snapshot
from installation.show.sections import MotionSettings


def period_seconds(motion: MotionSettings, snapshot: Snapshot) -> float:
    """Seconds per loop at speed 1: fixed, or a number of beats at the `bpm` parameter."""
    if motion.period_beats > 0:
        return motion.period_beats * 60.0 / max(float(snapshot["bpm"]), 1e-3)
    return motion.period_seconds


class MotionClock:
    """Advances the phase from one batch of frame times to the next.

    `keyframe_count` > 0 makes writes to the `keyframe` parameter jump to that keyframe. Given
    the same snapshots and times, two clocks give the same phases.
    """

    def __init__(self, motion: MotionSettings, keyframe_count: int = 0) -> None:
        self._motion = motion
        self._keyframes = keyframe_count
        self._time: float | None = None
        self._phase = 0.0
        self._seen_keyframe_writes = -1

    @property
    def phase(self) -> float:
        return self._phase

    def phases(self, snapshot: Snapshot, times: Sequence[float] | np.ndarray) -> np.ndarray:
        """Phases [B] (float64) for frame times in seconds, ascending, using this snapshot's speed
        and tempo for the whole batch. The clock moves on to the last time."""
        times = np.asarray(times, dtype=np.float64)
        if self._time is None:
            self._time = float(times[0])
        if self._keyframes and snapshot.count("keyframe") != self._seen_keyframe_writes:
            # Jump within the current lap, so the phase keeps counting up.
            self._seen_keyframe_writes = snapshot.count("keyframe")
            target = (int(snapshot["keyframe"]) % self._keyframes) / self._keyframes
            self._phase = np.floor(self._phase) + target
        rate = float(snapshot["speed"]) / period_seconds(self._motion, snapshot)
        phases = self._phase + rate * (times - self._time)
        if times[-1] > self._time:
            self._phase, self._time = float(phases[-1]), float(times[-1])
        return phases
