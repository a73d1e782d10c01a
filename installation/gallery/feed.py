"""The renderer's feed as a gallery shows it: faded by the schedule, counted for the heartbeat,
with the problems on the HUD.

It wraps the live show's feed (what the presenter draws from) without changing it:
- `level` (0..1, set by the schedule) cross-fades the picture with a black frame, on the
  screen's renderer like any in-between frame, so a fade costs no pixel work on the CPU;
- every frame the presenter really put on screen is counted: the presenter asks for the next
  pair only after presenting the last one, so the pair handed out before is on screen by then.
"""

from __future__ import annotations

import threading
import time

import numpy as np

from installation.engine.frames import Frame, FramePair
from installation.gallery.problems import SHOWN, Problems

LEVEL_STEPS = 255  # the screen's alpha resolution: finer levels would only cause redraws


class GalleryFeed:
    """Feed protocol of `installation.display.presenter`: `clock`, `pair_at`, `hud_lines`, `error`."""

    def __init__(self, feed: object, problems: Problems = SHOWN) -> None:
        self._feed, self._problems = feed, problems
        self.clock = feed.clock
        self.level = 1.0  # written by the schedule's thread, read here once per refresh
        self._blacks: dict[tuple[int, ...], Frame] = {}
        self._lock = threading.Lock()
        self._shown_serial: int | None = None
        self._pending: float | None = None  # when a new frame was handed out, not yet presented
        self._count = 0
        self._last: float | None = None

    @property
    def error(self) -> BaseException | None:
        return self._feed.error

    def hud_lines(self, displayed_fps: float) -> list[str]:
        return [*self._feed.hud_lines(displayed_fps), *(f"! {p}" for p in self._problems.current())]

    def frames(self) -> tuple[int, float | None]:
        """(new frames presented so far, time.monotonic() when the last one was handed out)."""
        with self._lock:
            return self._count, self._last

    def _black(self, like: Frame) -> Frame:
        shape = like.pixels.shape
        black = self._blacks.get(shape)
        if black is None:
            # Negative serials never collide with the engine's; the texture is uploaded once.
            black = self._blacks[shape] = Frame(0.0, np.zeros(shape, np.uint8), -1, -1 - len(self._blacks))
        return black

    def pair_at(self, t: float) -> FramePair | None:
        pair = self._feed.pair_at(t)
        now = time.monotonic()
        with self._lock:
            if self._pending is not None:  # asked again: the pair handed out last time was presented
                self._count, self._last, self._pending = self._count + 1, self._pending, None
            serial = pair.newest.serial if pair is not None else None
            if serial is not None and serial != self._shown_serial:
                self._shown_serial, self._pending = serial, now
        level = round(self.level * LEVEL_STEPS) / LEVEL_STEPS
        if pair is None or level >= 1:
            return pair
        frame = pair.newest
        black = self._black(frame)
        return FramePair(black) if level <= 0 else FramePair(frame, black, 1.0 - level)
