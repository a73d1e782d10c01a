"""Paths through latent space as functions of the motion phase (cycles around the loop).

All are pure: the same phase and seed give the same point, with no state carried between
frames, so frames can be rendered ahead, in batches, or again.
"""

from __future__ import annotations

import functools

import numpy as np

# Separate random streams for separate uses of one seed (a seed also names a keyframe z).
_ORBIT_STREAM, _WANDER_STREAM = 1, 2
WANDER_COMPONENTS = 16
WANDER_BANDWIDTH = 0.5  # std of the walk's frequencies, in cycles per motion period


def keyframe_position(phases: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Segment index [B] and progress in it [B] for keyframes spread evenly around the loop."""
    s = np.mod(np.asarray(phases, dtype=np.float64), 1.0) * count
    index = np.minimum(np.floor(s).astype(np.int64), count - 1)
    return index, s - index


@functools.lru_cache(maxsize=8)
def _orbit_plane(dim: int, seed: int) -> np.ndarray:
    return np.random.default_rng([seed, _ORBIT_STREAM]).standard_normal((2, dim))


def orbit(phases: np.ndarray, center: np.ndarray, seed: int) -> np.ndarray:
    """Offsets [B, dim] around a circle of radius sqrt(dim) (a typical z's length) in a random
    plane through `center`, once per cycle: z(t) = a·cos(2πt) + b·sin(2πt).

    The plane is made orthogonal to the centre so that the loop moves the picture everywhere
    along it rather than partly just rescaling z (which the mapping network ignores).
    """
    dim = center.shape[-1]
    u = center / max(np.linalg.norm(center), 1e-12)
    basis = []
    for v in _orbit_plane(dim, seed):
        v = v - (v @ u) * u - sum((v @ b) * b for b in basis)
        basis.append(v / np.linalg.norm(v))
    angle = 2 * np.pi * np.asarray(phases, dtype=np.float64)[:, None]
    return (np.sqrt(dim) * (np.cos(angle) * basis[0] + np.sin(angle) * basis[1])).astype(np.float32)


@functools.lru_cache(maxsize=8)
def _wander_waves(dim: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng([seed, _WANDER_STREAM])
    frequencies = rng.normal(0.0, WANDER_BANDWIDTH, (dim, WANDER_COMPONENTS))
    offsets = rng.uniform(0.0, 2 * np.pi, (dim, WANDER_COMPONENTS))
    return frequencies, offsets


def wander(phases: np.ndarray, dim: int, seed: int) -> np.ndarray:
    """A bounded random walk [B, dim]: a smooth stationary Gaussian process, one per dimension,
    drawn as a sum of random cosines (random Fourier features).

    Each coordinate has variance 1 (so points look like ordinary z) and can never exceed
    sqrt(2 * WANDER_COMPONENTS); unlike a stepped walk it is a closed-form function of the
    phase, needing no history. Points about one period apart are unrelated.
    """
    frequencies, offsets = _wander_waves(dim, seed)
    t = np.asarray(phases, dtype=np.float64)[:, None, None]
    waves = np.cos(2 * np.pi * frequencies * t + offsets)
    return (np.sqrt(2.0 / WANDER_COMPONENTS) * waves.sum(axis=-1)).astype(np.float32)
