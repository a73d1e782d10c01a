"""Frames sampled from a video file at a fixed interval."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from installation.dataset.errors import Skip


def sample_frames(path: Path, every: float) -> Iterator[tuple[float, np.ndarray]]:
    """(seconds, BGR frame) every `every` seconds, starting with the first frame.

    Frames are read in order with grab(), which skips the color conversion of unwanted
    frames; seeking instead would decode from the previous keyframe each time.
    """
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise Skip("not a readable video (OpenCV cannot open it)")
    try:
        fps = capture.get(cv2.CAP_PROP_FPS)
        index, due = 0, 0.0
        while capture.grab():
            seconds = index / fps if fps > 0 else capture.get(cv2.CAP_PROP_POS_MSEC) / 1000
            index += 1
            if seconds + 1e-6 < due:
                continue
            ok, frame = capture.retrieve()
            if ok and frame is not None:
                yield seconds, frame
            while due <= seconds + 1e-6:
                due += every
    finally:
        capture.release()
