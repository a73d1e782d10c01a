"""When the next batch of frames is for: the look-ahead rule that bounds control latency."""

from __future__ import annotations


def next_times(now: float, *, lead: float, dt: float, batch: int, end: float | None) -> list[float] | None:
    """Show times of the next `batch` frames, `dt` apart, or None if none are needed yet.

    A batch never starts before `now + lead`, where `lead` is a little over the time the batch
    takes to render: its first frame is ready just before the screen needs it, and no earlier,
    so what it was rendered from is as fresh as it can be. It continues from `end` (the last
    frame held) when that is later, and it is not rendered while the frames held already reach
    a whole batch past `now + lead`: the look-ahead stays within lead + 2 batches.
    """
    earliest = now + lead
    start = earliest if end is None or end + dt < earliest else end + dt
    if start > earliest + batch * dt:
        return None
    return [start + i * dt for i in range(batch)]
