"""The bounded, time-ordered store of rendered frames between the producer and the display."""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable

import torch

from installation.engine.frames import Frame, FramePair, pair_at

Shape = tuple[int, int, int]


class FrameRing:
    """At most `capacity` frame buffers ever exist; they are reused, never reallocated per frame.

    The producer `acquire`s buffers, renders into them and `publish`es frames; the display asks
    `pair_at(t)`. Only the display's call recycles buffers (frames older than the pair it gets,
    and frames the producer discarded), so the pair it got last time stays intact while it
    uploads it, without holding a lock.
    """

    def __init__(self, capacity: int, alloc: Callable[[Shape], torch.Tensor]) -> None:
        self.capacity = capacity
        self._alloc = alloc
        self._cond = threading.Condition()
        self._frames: list[Frame] = []
        self._buffer_of: dict[int, torch.Tensor] = {}  # frame serial -> its buffer
        self._free: list[torch.Tensor] = []
        self._retired: list[torch.Tensor] = []
        self._allocated = 0
        self._closed = False

    def acquire(self, count: int, shape: Shape, timeout: float | None = None) -> list[torch.Tensor] | None:
        """`count` buffers of `shape`, waiting for the display to free some if needed; None when
        the ring is closed or the wait times out."""
        if count > self.capacity:
            raise ValueError(f"asked for {count} buffers from a ring of {self.capacity}")
        with self._cond:
            if not self._cond.wait_for(
                lambda: self._closed or len(self._free) + self.capacity - self._allocated >= count, timeout
            ):
                return None
            if self._closed:
                return None
            matching = [b for b in self._free if tuple(b.shape) == shape]
            taken, others = matching[:count], [b for b in self._free if tuple(b.shape) != shape]
            self._free = matching[count:] + others
            while len(taken) < count:
                if self._allocated == self.capacity:  # make room: drop a free buffer of another size
                    self._free.pop()
                    self._allocated -= 1
                taken.append(self._alloc(shape))
                self._allocated += 1
            return taken

    def release(self, buffers: list[torch.Tensor]) -> None:
        """Give back acquired buffers that were not published."""
        with self._cond:
            self._free.extend(buffers)
            self._cond.notify_all()

    def publish(self, frames: list[Frame], buffers: list[torch.Tensor]) -> None:
        """Add frames (rendered into `buffers`, one each); a frame for a time already held
        replaces the held one."""
        with self._cond:
            for frame, buffer in zip(frames, buffers, strict=True):
                i = bisect.bisect_left(self._frames, frame.t, key=lambda f: f.t)
                if i < len(self._frames) and self._frames[i].t == frame.t:
                    self._retired.append(self._buffer_of.pop(self._frames.pop(i).serial))
                self._frames.insert(i, frame)
                self._buffer_of[frame.serial] = buffer

    def discard(self, from_t: float, below_version: int) -> int:
        """Retire frames at or after `from_t` rendered from an input version before
        `below_version` (stale look-ahead); returns how many."""
        with self._cond:
            stale = [f for f in self._frames if f.t >= from_t and f.version < below_version]
            for frame in stale:
                self._frames.remove(frame)
                self._retired.append(self._buffer_of.pop(frame.serial))
            return len(stale)

    def end(self) -> float | None:
        """The time of the latest frame held."""
        with self._cond:
            return self._frames[-1].t if self._frames else None

    def holds(self, t: float, version: int) -> bool:
        with self._cond:
            return any(f.t == t and f.version >= version for f in self._frames)

    def pair_at(self, t: float, blend: bool = True) -> FramePair | None:
        """The display's call: the frames to show at `t` (see `frames.pair_at`). Buffers of
        frames before the returned pair, and of discarded frames, become free again."""
        with self._cond:
            pair = pair_at(self._frames, t, blend)
            if pair is not None:
                while self._frames[0] is not pair.a:
                    self._retired.append(self._buffer_of.pop(self._frames.pop(0).serial))
            if self._retired:
                self._free.extend(self._retired)
                self._retired.clear()
                self._cond.notify_all()
            return pair

    def __len__(self) -> int:
        with self._cond:
            return len(self._frames)

    def close(self) -> None:
        """Wake and refuse every waiting `acquire` (the engine is stopping)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
