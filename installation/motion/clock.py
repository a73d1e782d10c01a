"""The motion clock: wall-clock time -> motion phase, in cycles around the loop.

Speed and tempo change while the show runs, so the phase is their integral over time rather
than time times speed (which would jump when the speed knob moves). This is the one piece of
motion with state; everything downstream is a pure function of the phase.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

import numpy as np

from installation.params.bus import Snapshot, Step
from installation.show.sections import MotionSettings


def period_seconds(motion: MotionSettings, snapshot: Snapshot) -> float:
    """Seconds per loop at speed 1: fixed, or a number of beats at the `bpm` parameter."""
    if motion.period_beats > 0:
        return motion.period_beats * 60.0 / max(float(snapshot["bpm"]), 1e-3)
    return motion.period_seconds


class MotionClock:
    """Advances the phase from one batch of frame times to the next.

    `keyframe_count` > 0 makes writes to the `keyframe` parameter jump to that keyframe, and
    relative ones (`bus.step("keyframe", +1)`) to the one that far from where the motion is.
    Given the same snapshots and times, two clocks give the same phases.
    """

    def __init__(self, motion: MotionSettings, keyframe_count: int = 0) -> None:
        self._motion = motion
        self._keyframes = keyframe_count
        self._time: float | None = None
        self._phase = 0.0
        self._seen_keyframe: tuple[int, Step] | None = None  # (write count, steps) last followed
        self._adopted = False  # the phase came from another clock, keyframe writes included

    @property
    def phase(self) -> float:
        return self._phase

    @property
    def anchor(self) -> tuple[float, float] | None:
        """(phase, show time) the clock has reached, None before its first batch: with the
        speed and tempo, all there is to its motion from there on."""
        phase, time = self._phase, self._time
        return None if time is None else (phase, time)

    def adopt(self, anchor: tuple[float, float]) -> None:
        """Take another clock's `anchor` (a follower taking its leader's motion). The keyframe
        writes on the bus so far are in it: the next batch does not jump to them again."""
        self._phase, self._time = anchor
        self._adopted = True

    def keyframe_index(self) -> int:
        """The keyframe the motion is at or after (0 without keyframes)."""
        count = max(self._keyframes, 1)
        return int(math.floor((self._phase % 1.0) * count)) % count

    def phases(self, snapshot: Snapshot, times: Sequence[float] | np.ndarray) -> np.ndarray:
        """Phases [B] (float64) for frame times in seconds, ascending: this snapshot's speed glide
        integrated, at its tempo for the whole batch. The clock moves on to the last time."""
        times = np.asarray(times, dtype=np.float64)
        if self._time is None:
            self._time = float(times[0])
        if self._keyframes:
            self._follow_keyframe(snapshot)
        # Speed along its glide, not held at the batch's first value: the phase at a time is then
        # the same whatever batches led there (a sync follower's are not its leader's).
        distance = snapshot.integral("speed", self._time, times)
        phases = self._phase + distance / period_seconds(self._motion, snapshot)
        if times[-1] > self._time:
            self._phase, self._time = float(phases[-1]), float(times[-1])
        return phases

    def _follow_keyframe(self, snapshot: Snapshot) -> None:
        """Jump to the keyframe written since the last batch, within the current lap (so the
        phase keeps counting up). Relative steps count from the keyframe the motion is at,
        or from an absolute write that came before them."""
        count, step = snapshot.count("keyframe"), snapshot.step("keyframe")
        seen, self._seen_keyframe = self._seen_keyframe, (count, step)
        if (seen is not None and seen[0] == count) or (seen is None and self._adopted):
            return
        if seen is None or seen[1].base != step.base:
            index, offset, randoms = int(snapshot["keyframe"]), step.offset, step.randoms
        else:
            index, offset, randoms = (
                self.keyframe_index(),
                step.offset - seen[1].offset,
                step.randoms - seen[1].randoms,
            )
        n = self._keyframes
        if n > 1 and randoms > 0:
            draw = random.Random(count)  # the same writes give the same keyframes
            offset += sum(draw.randrange(1, n) for _ in range(randoms))
        self._phase = float(np.floor(self._phase)) + ((index + offset) % n) / n
