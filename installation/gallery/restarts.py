"""When to restart a renderer that died, and whether to step down to a safer configuration.

Pure bookkeeping, driven by the times passed in: the wait doubles from `restart_delay` with each
crash in a row, up to `restart_delay_max`, and drops back after a calm run of `crash_window`
seconds; `crashes_per_step` crashes within `crash_window` ask for the next fallback step.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass

from installation.show.gallery_sections import GallerySettings


@dataclass(frozen=True)
class Decision:
    delay: float  # seconds to wait before starting again
    step_down: bool  # try the next safer configuration


class RestartPolicy:
    def __init__(self, settings: GallerySettings) -> None:
        self.settings = settings
        self._recent: collections.deque[float] = collections.deque(maxlen=settings.crashes_per_step)
        self._in_a_row = 0

    def crashed(self, now: float, ran_for: float, *, steppable: bool = True) -> Decision:
        """Record a crash at `now` (monotonic seconds) of a renderer that had run `ran_for` seconds.
        A failure that is not `steppable` (no safer configuration could fix it: a missing display)
        waits the same, but never counts towards a step down."""
        s = self.settings
        self._in_a_row = 1 if ran_for >= s.crash_window else self._in_a_row + 1
        if steppable:
            self._recent.append(now)
        step_down = (
            steppable and len(self._recent) == s.crashes_per_step and now - self._recent[0] <= s.crash_window
        )
        if step_down:
            self._recent.clear()  # the new configuration earns its own count
        delay = min(s.restart_delay * 2 ** (self._in_a_row - 1), s.restart_delay_max)
        return Decision(delay, step_down)

    def reset(self) -> None:
        """Forget past crashes (the show or its model changed: a fresh start deserves a fresh count)."""
        self._recent.clear()
        self._in_a_row = 0
