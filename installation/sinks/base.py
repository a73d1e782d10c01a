"""What a frame consumer is: pictures in, written somewhere, closed at the end."""

from __future__ import annotations

from typing import Protocol

import numpy as np


class Sink(Protocol):
    """Takes [H, W, 3] uint8 RGB frames of one size, in order."""

    def write(self, image: np.ndarray) -> None: ...

    def close(self) -> None: ...
