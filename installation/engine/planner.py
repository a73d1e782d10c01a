"""Choosing the synthesis level and the look-ahead batch from measured render times.

Costs come from a start-up probe (`probe.py`) of the backend that renders (or, for a shape
whose graph is still being built, of the torch eager path that renders it meanwhile); a level
is timed again once its graph is ready (`retime`). They are scaled by how slow renders are now
(the median of recent measured/probed ratios, so host contention moves every level together
and a single slow frame moves nothing). Hysteresis keeps the level from flickering: going up
needs the higher level predicted well inside the budget, going down needs the current level
over it, and a level that had to be left is tried again only after a growing wait.
"""

from __future__ import annotations

import dataclasses
import math
import statistics
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

UP_SHARE = 0.75  # a higher level must be predicted to use at most this share of the frame budget
DOWN_SHARE = 1.05  # the current level is left when it takes more than this share
DOWN_DWELL_S = 0.5  # least time at a level before leaving it downwards
UP_DWELL_S = 2.0  # ... and upwards; also the first wait before retrying a level that was left
MAX_RETRY_WAIT_S = 60.0
HISTORY = 5  # measurements the slowdown is the median of
MIN_BATCH_GAIN = 0.9  # a larger batch is worth it only if it cuts the time per frame by 10%


@dataclass(frozen=True)
class Costs:
    """Probed render cost: ms per frame at batch 1 for every level (some extrapolated), and the
    time per frame at batch b relative to batch 1 (batch sizes not listed were not worth it).
    `pending`: levels not yet timed on the backend's own fast path (extrapolated, or timed on
    torch eager while their graph is being built), to be timed again once it is there."""

    frame_ms: dict[int, float]
    batch_factor: dict[int, float]
    pending: frozenset[int] = frozenset()

    def batch_ms(self, level: int, batch: int) -> float:
        factor = self.batch_factor.get(batch, min(self.batch_factor.values()))
        return self.frame_ms[level] * batch * factor

    def with_level(self, level: int, frame_ms: float, final: bool) -> Costs:
        """These costs with `level` timed anew (`final`: on the backend's own fast path)."""
        return dataclasses.replace(
            self,
            frame_ms={**self.frame_ms, level: frame_ms},
            pending=self.pending - {level} if final else self.pending | {level},
        )


class Planner:
    """Holds the current `level` (a synthesis resolution) and `batch`; call `record` after each
    render. `levels` are the resolutions allowed, in any order."""

    def __init__(
        self,
        costs: Costs,
        levels: Sequence[int],
        *,
        frame_budget_ms: float,
        batch_budget_ms: float,
        fixed_batch: int | None = None,
    ) -> None:
        self.costs = costs
        self.levels = sorted(levels)
        self.frame_budget_ms = frame_budget_ms
        self.batch_budget_ms = batch_budget_ms
        self.fixed_batch = fixed_batch
        # Starts as if the probe's timings had just been measured again: the median moves only
        # once most recent renders agree.
        self._ratios: deque[float] = deque([1.0] * (HISTORY - 1), maxlen=HISTORY)
        self._changed_at = -math.inf
        self._retry_at: dict[int, float] = {}
        self._retry_wait: dict[int, float] = {}
        fitting = [lv for lv in self.levels if self.frame_ms(lv) <= frame_budget_ms]
        self.level = fitting[-1] if fitting else self.levels[0]
        self.batch = self.best_batch(self.level)

    @property
    def slowdown(self) -> float:
        """Measured / probed render time, recently (1 = as fast as at start-up)."""
        return statistics.median(self._ratios)

    def batch_ms(self, level: int, batch: int) -> float:
        """Predicted time to render `batch` frames at `level`, now."""
        return self.costs.batch_ms(level, batch) * self.slowdown

    def best_batch(self, level: int) -> int:
        """The fixed batch, else the largest batch worth its size that renders within the
        batch budget (the latency bound); at least 1."""
        if self.fixed_batch:
            return self.fixed_batch
        best = 1
        for batch in sorted(self.costs.batch_factor):
            useful = self.costs.batch_factor[batch] <= self.costs.batch_factor[best] * MIN_BATCH_GAIN
            if batch > best and useful and self.batch_ms(level, batch) <= self.batch_budget_ms:
                best = batch
        return best

    def frame_ms(self, level: int) -> float:
        """Predicted time per frame at `level` with its best batch."""
        batch = self.best_batch(level)
        return self.batch_ms(level, batch) / batch

    def record(self, level: int, batch: int, ms: float, now: float) -> None:
        """A render of `batch` frames at `level` took `ms`; `now` is any monotonic seconds."""
        self._ratios.append(ms / self.costs.batch_ms(level, batch))
        i = self.levels.index(self.level)
        dwell = now - self._changed_at
        if i > 0 and dwell >= DOWN_DWELL_S and self.frame_ms(self.level) > self.frame_budget_ms * DOWN_SHARE:
            wait = min(self._retry_wait.get(self.level, UP_DWELL_S / 2) * 2, MAX_RETRY_WAIT_S)
            self._retry_wait[self.level] = wait
            self._retry_at[self.level] = now + wait
            self._switch(self.levels[i - 1], now)
        elif i + 1 < len(self.levels) and dwell >= UP_DWELL_S:
            up = self.levels[i + 1]
            if (
                now >= self._retry_at.get(up, -math.inf)
                and self.frame_ms(up) <= self.frame_budget_ms * UP_SHARE
            ):
                self._switch(up, now)
        self.batch = self.best_batch(self.level)

    def retime(self, level: int, ms: float, final: bool = True) -> None:
        """`level` was timed again just now at `ms` per frame (batch 1), e.g. once its graph was
        built: from now on it is planned with that cost, and it may be tried at once."""
        self.costs = self.costs.with_level(level, ms / self.slowdown, final)
        self._retry_at.pop(level, None)
        self._retry_wait.pop(level, None)

    def _switch(self, level: int, now: float) -> None:
        self.level = level
        self._changed_at = now
