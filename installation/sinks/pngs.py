"""A folder of numbered PNG files: frame_000000.png, frame_000001.png, ..."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from installation.model.imaging import write_png


class PngFolder:
    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count = 0

    def write(self, image: np.ndarray) -> None:
        write_png(self.folder / f"frame_{self.count:06d}.png", image)
        self.count += 1

    def close(self) -> None:
        pass
