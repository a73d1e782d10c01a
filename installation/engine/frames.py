"""Rendered frames, and which two of them the screen shows at a given time."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class Frame:
    """A rendered frame for show time `t`. `pixels` [H, W, 3] uint8 lives in a ring slot: it is
    valid until the consumer's next call to the ring, so keep a copy to hold on to it.
    `version` is the engine's input version it was rendered from; `serial` is unique per frame.
    `shown`: the same picture already resampled for the screen by `sharp` on the render device
    (see display/scaling.py), in the same ring slot; None where the screen resamples it."""

    t: float
    pixels: np.ndarray
    version: int
    serial: int
    shown: np.ndarray | None = None


@dataclass(frozen=True)
class FramePair:
    """What to show: `a`, cross-faded towards `b` by `alpha` (0 shows `a` alone)."""

    a: Frame
    b: Frame | None = None
    alpha: float = 0.0

    @property
    def newest(self) -> Frame:
        """The latest frame that contributes to the picture."""
        return self.b if self.b is not None and self.alpha > 0 else self.a


def pair_at(frames: Sequence[Frame], t: float, blend: bool = True) -> FramePair | None:
    """The frames around time `t` in `frames` (sorted by t): the last at or before t and the
    next one, weighted by where t lies between their times. Before the first frame the first
    is shown; after the last, the last is held."""
    if not frames:
        return None
    after = bisect.bisect_right(frames, t, key=lambda f: f.t)
    if after == 0:
        return FramePair(frames[0])
    a = frames[after - 1]
    if after == len(frames) or not blend:
        return FramePair(a)
    b = frames[after]
    return FramePair(a, b, (t - a.t) / (b.t - a.t))


def blend(pair: FramePair) -> np.ndarray:
    """The picture of `pair` as one new [H, W, 3] uint8 image, at the larger frame's size."""
    import cv2

    a = pair.a.pixels
    if pair.b is None or pair.alpha <= 0:
        return a.copy()
    b = pair.b.pixels
    if a.shape != b.shape:  # a resolution switch between the two: bring the smaller one up
        size = max((a, b), key=lambda p: p.shape[0]).shape[1::-1]
        a, b = (cv2.resize(p, size, interpolation=cv2.INTER_LINEAR) for p in (a, b))
    return cv2.addWeighted(a, 1.0 - pair.alpha, b, pair.alpha, 0.0)
