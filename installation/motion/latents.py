"""Latent arithmetic: seeds, easing, interpolation, layer ranges. Pure numpy, batched over rows.

Shapes: `t` is [B]; points are [B, ...] (z [B, z_dim], w+ [B, num_ws, w_dim]).
"""

from __future__ import annotations

import numpy as np

EASINGS = ("linear", "smoothstep", "cosine")


def seed_z(seed: int, z_dim: int) -> np.ndarray:
    """z for a seed by NVIDIA's convention, so a seed names the same picture in every tool."""
    return np.random.RandomState(seed).randn(z_dim).astype(np.float32)


def ease(t: np.ndarray, kind: str) -> np.ndarray:
    """Reshape progress in [0, 1]; smoothstep and cosine start and stop at rest."""
    if kind == "linear":
        return t
    if kind == "smoothstep":
        return t * t * (3 - 2 * t)
    if kind == "cosine":
        return (1 - np.cos(np.pi * t)) / 2
    raise ValueError(f"unknown easing {kind!r}; expected one of {EASINGS}")


def _rows(t: np.ndarray, like: np.ndarray) -> np.ndarray:
    """[B] -> [B, 1, ...] so it broadcasts against points shaped like `like`."""
    return np.asarray(t, dtype=np.float64).reshape((-1,) + (1,) * (like.ndim - 1))


def lerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Straight line from a (t=0) to b (t=1): the natural path in W."""
    t = _rows(t, a)
    return (a + (b - a) * t).astype(np.float32)


def slerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Great-circle path from a to b, [B, d]: stays on the shell where Gaussian z live, which a
    straight line in Z would cut through (giving washed-out midpoints)."""
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    t = _rows(t, a64)
    na = np.linalg.norm(a64, axis=-1, keepdims=True)
    nb = np.linalg.norm(b64, axis=-1, keepdims=True)
    cos = np.clip(np.sum(a64 * b64, axis=-1, keepdims=True) / np.maximum(na * nb, 1e-12), -1.0, 1.0)
    omega = np.arccos(cos)
    sin = np.sin(omega)
    # Nearly parallel vectors: the great circle is a straight line.
    straight = sin < 1e-6
    safe = np.where(straight, 1.0, sin)
    wa = np.where(straight, 1 - t, np.sin((1 - t) * omega) / safe)
    wb = np.where(straight, t, np.sin(t * omega) / safe)
    return (wa * a64 + wb * b64).astype(np.float32)


def catmull_rom(p0: np.ndarray, p1: np.ndarray, p2: np.ndarray, p3: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Uniform Catmull-Rom from p1 (t=0) to p2 (t=1): through every keyframe with a velocity
    continuous across them, so motion never stops or jerks at a keyframe."""
    t = _rows(t, p1)
    t2, t3 = t * t, t * t * t
    return (
        0.5
        * (2 * p1 + (p2 - p0) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t2 + (3 * p1 - p0 - 3 * p2 + p3) * t3)
    ).astype(np.float32)


def layer_slice(layers: tuple[int, int | None], num_ws: int) -> slice:
    """A (start, stop or None) ws range, clipped to the model (a 'fine' range of a small model
    may be empty)."""
    start, stop = layers
    stop = num_ws if stop is None else stop
    return slice(min(start, num_ws), min(stop, num_ws))


def truncate(ws: np.ndarray, w_avg: np.ndarray, psi: float, cutoff: int) -> np.ndarray:
    """Pull the first `cutoff` layers of ws [B, num_ws, w_dim] towards the average w."""
    out = ws.copy()
    out[:, :cutoff] = w_avg + psi * (ws[:, :cutoff] - w_avg)
    return out
