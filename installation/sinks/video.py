"""An mp4 file (MPEG-4 part 2, 'mp4v': what OpenCV writes everywhere without extra codecs)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from installation.errors import UserError


class VideoFile:
    """Frames of `size` (width, height) at `fps`, written by OpenCV's VideoWriter."""

    def __init__(self, path: str | Path, fps: float, size: tuple[int, int]) -> None:
        import cv2

        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.size = size
        self._cv2 = cv2
        self._writer = cv2.VideoWriter(str(self.path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
        if not self._writer.isOpened():
            raise UserError(f"cannot write video {self.path} (is the folder writable, the name an .mp4?)")

    def write(self, image: np.ndarray) -> None:
        if (image.shape[1], image.shape[0]) != self.size:
            raise ValueError(
                f"frame is {image.shape[1]}x{image.shape[0]}, the video {self.size[0]}x{self.size[1]}"
            )
        self._writer.write(self._cv2.cvtColor(image, self._cv2.COLOR_RGB2BGR))

    def close(self) -> None:
        self._writer.release()
