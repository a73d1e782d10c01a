"""Helpers shared by the control-surface tests."""

from __future__ import annotations

import time
from collections.abc import Callable

from installation.motion.clock import MotionClock
from installation.params.bus import ParameterBus
from installation.show.sections import Show

# Show text that starts OSC on a free port and nothing else that needs hardware.
QUIET = "[osc]\nport = 0\nquery_port = -1\n[midi]\nenabled = false\n"


def eventually(check: Callable[[], bool], timeout: float = 2.0) -> bool:
    """Poll `check` until it holds or `timeout` seconds pass."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.005)
    return check()


def settled(bus: ParameterBus) -> dict:
    """The bus's values with smoothing finished (a snapshot far in the future)."""
    return dict(bus.snapshot(time.monotonic() + 1e6).values)


class MotionWatch:
    """Motion's clock for `show`, run `seconds` on the bus as it is now: where the keyframe
    writes made since then take the motion (`keyframe()`), as the live show's source would."""

    def __init__(self, show: Show, bus: ParameterBus, seconds: float = 0.01) -> None:
        self._clock = MotionClock(show.motion, len(show.motion.keyframes))
        self._bus, self._t = bus, seconds
        self._clock.phases(bus.snapshot(), [0.0, seconds])
        self.start = self._clock.keyframe_index()

    def keyframe(self) -> int:
        self._clock.phases(self._bus.snapshot(), [self._t])
        return self._clock.keyframe_index()
