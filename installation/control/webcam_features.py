"""Cheap features of a camera picture, computed at 160x120 in the capture thread.

Only these numbers ever leave the capture thread: no frame is kept, written or sent anywhere
(visitors' privacy). All values are in [0, 1] unless said otherwise, with x to the right and y
downwards in the camera's picture.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

import cv2
import numpy as np

log = logging.getLogger(__name__)

SIZE = (160, 120)  # width, height the features are computed at
FACE_SIZE = (320, 240)  # Haar cascades need faces of ~24 px or more
_CHANGE_LEVEL = 25  # grey levels a pixel must change by to count as motion / foreground
_HUE_BINS = 18


@dataclass(frozen=True)
class Features:
    motion: float  # fraction of the picture that changed since the previous frame
    motion_x: float  # centroid of the change (0.5 when nothing moved)
    motion_y: float
    presence: bool  # someone (something) is in front of the camera, with hysteresis
    foreground: float  # fraction of the picture that differs from the learnt background
    brightness: float
    hue: float  # dominant hue of the saturated pixels (0 red, 1/3 green, 2/3 blue)
    faces: int  # count; 0 when face detection is off or found none
    face_x: float  # centre and height of the largest face (0.5, 0.5, 0 when none)
    face_y: float
    face_size: float

    def as_dict(self) -> dict[str, float]:
        return {k: float(v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class PresenceSettings:
    """Presence turns on above `on` foreground for `on_frames` frames and off below `off` for
    `off_frames`, so one flicker does not toggle it. `learn` is the background's update rate per
    frame; it learns 20x slower while someone is present, so a visitor standing still does not
    fade into the background within seconds."""

    on: float = 0.04
    off: float = 0.015
    on_frames: int = 3
    off_frames: int = 30
    learn: float = 0.02


def _face_detector() -> "cv2.CascadeClassifier | None":
    data = getattr(cv2, "data", None)  # opencv-python 5.x ships no Haar cascades
    path = None if data is None else data.haarcascades + "haarcascade_frontalface_default.xml"
    detector = None if path is None else cv2.CascadeClassifier(path)
    if detector is None or detector.empty():
        log.warning("face detection is off: this OpenCV has no Haar cascade files (opencv-python 4.x has)")
        return None
    return detector


class FeatureExtractor:
    """Turns successive BGR frames (any size) into `Features`. Not thread-safe: one per camera."""

    def __init__(
        self, presence: PresenceSettings = PresenceSettings(), *, faces: bool = False, face_every: int = 3
    ) -> None:
        self._presence = presence
        self._detector = _face_detector() if faces else None
        self._face_every = face_every
        self._frame_index = 0
        self._previous: np.ndarray | None = None
        self._background: np.ndarray | None = None
        self._present = False
        self._streak = 0  # frames in a row on the other side of the threshold
        self._hue = 0.0
        self._face = (0, 0.5, 0.5, 0.0)

    def reset(self) -> None:
        """Forget the previous frame and the background (after the camera was lost)."""
        self._previous = self._background = None
        self._present, self._streak = False, 0

    def update(self, frame: np.ndarray) -> Features:
        small = cv2.resize(frame, SIZE, interpolation=cv2.INTER_AREA)
        grey = cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), (5, 5), 0)
        motion, cx, cy = self._motion(grey)
        foreground = self._foreground(grey)
        brightness = float(grey.mean()) / 255.0
        self._hue = self._dominant_hue(small, self._hue)
        if self._detector is not None and self._frame_index % self._face_every == 0:
            self._face = self._largest_face(frame)
        self._frame_index += 1
        faces, fx, fy, fsize = self._face
        return Features(
            motion, cx, cy, self._present, foreground, brightness, self._hue, faces, fx, fy, fsize
        )

    def _motion(self, grey: np.ndarray) -> tuple[float, float, float]:
        previous, self._previous = self._previous, grey
        if previous is None:
            return 0.0, 0.5, 0.5
        changed = cv2.absdiff(grey, previous) > _CHANGE_LEVEL
        count = int(np.count_nonzero(changed))
        if count == 0:
            return 0.0, 0.5, 0.5
        ys, xs = np.nonzero(changed)
        h, w = grey.shape
        return count / changed.size, float(xs.mean() + 0.5) / w, float(ys.mean() + 0.5) / h

    def _foreground(self, grey: np.ndarray) -> float:
        if self._background is None:
            self._background = grey.astype(np.float32)
            return 0.0
        fraction = float(
            np.count_nonzero(cv2.absdiff(grey.astype(np.float32), self._background) > _CHANGE_LEVEL)
        )
        fraction /= grey.size
        p = self._presence
        crossing = fraction < p.off if self._present else fraction > p.on
        self._streak = self._streak + 1 if crossing else 0
        if self._streak >= (p.off_frames if self._present else p.on_frames):
            self._present, self._streak = not self._present, 0
        cv2.accumulateWeighted(
            grey.astype(np.float32), self._background, p.learn / 20 if self._present else p.learn
        )
        return fraction

    @staticmethod
    def _dominant_hue(small: np.ndarray, previous: float) -> float:
        hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)
        colourful = ((hsv[..., 1] > 60) & (hsv[..., 2] > 40)).astype(np.uint8)
        if not colourful.any():
            return previous  # a grey picture has no hue; keep the last one rather than jump to red
        hist = cv2.calcHist([hsv], [0], colourful, [_HUE_BINS], [0, 180]).ravel()
        return (float(np.argmax(hist)) + 0.5) / _HUE_BINS

    def _largest_face(self, frame: np.ndarray) -> tuple[int, float, float, float]:
        grey = cv2.cvtColor(cv2.resize(frame, FACE_SIZE, interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2GRAY)
        found = self._detector.detectMultiScale(grey, scaleFactor=1.2, minNeighbors=4, minSize=(24, 24))
        if len(found) == 0:
            return 0, 0.5, 0.5, 0.0
        x, y, w, h = max(found, key=lambda r: r[2] * r[3])
        W, H = FACE_SIZE
        return len(found), (x + w / 2) / W, (y + h / 2) / H, h / H
