"""A latent override: a z vector sent from outside (`/installation/latent`), for motion to use.

Controllers never touch the model, so the vector is only held here, checked (length, finite
values), with a count of writes like a parameter's. Motion decides what it means: the live
loop passes `LatentOverride.get()` to it each frame; while a vector is set and the `latent_mix`
parameter (if the show declares one) is above 0, motion heads for that z instead of its path.
"""

from __future__ import annotations

import threading

import numpy as np


class LatentOverride:
    def __init__(self, z_dim: int) -> None:
        self.z_dim = z_dim
        self._lock = threading.Lock()
        self._z: np.ndarray | None = None
        self._count = 0

    def set(self, values: "np.ndarray | list[float] | tuple[float, ...]") -> bool:
        """Take a vector of exactly z_dim finite numbers; False (and nothing changes) otherwise."""
        z = np.asarray(values, dtype=np.float32)
        if z.shape != (self.z_dim,) or not np.isfinite(z).all():
            return False
        z.setflags(write=False)
        with self._lock:
            self._z, self._count = z, self._count + 1
        return True

    def clear(self) -> None:
        with self._lock:
            self._z, self._count = None, self._count + 1

    def get(self) -> tuple[np.ndarray | None, int]:
        """The vector (read-only) or None, and how many times it was set or cleared."""
        with self._lock:
            return self._z, self._count
