"""Semantic directions in W: SeFa (from the model's weights) and GANSpace (PCA of sampled w).

Each direction is a unit vector with the standard deviation of sampled w along it, so an
amount of 1 means the same visible change whatever the model: `direction_scale` sigmas.
"""

from __future__ import annotations

import logging
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from installation.errors import UserError
from installation.motion.latents import layer_slice
from installation.motion.space import LatentSpace
from installation.show.sections import DEFAULT_MODEL, Show

log = logging.getLogger(__name__)

_AFFINE = re.compile(r"synthesis\.b(\d+)\.conv([01])\.affine\.weight")
_AFFINE_SG3 = re.compile(r"synthesis\.L(\d+)_\d+_\d+\.affine\.weight")  # layer i reads ws[i + 1]
SIGMA_SAMPLES = 2000  # enough for a standard deviation to 2-3 %
PROBE_SEEDS = 4  # ws stored in a cache to recognise the model it was computed for
CACHE_SUFFIX = ".ganspace.npz"


@dataclass(frozen=True)
class Directions:
    """`vectors` [n, w_dim] orthonormal rows, strongest first; `sigmas` [n] std of w along each."""

    method: str
    vectors: np.ndarray
    sigmas: np.ndarray

    def __len__(self) -> int:
        return len(self.vectors)

    def first(self, count: int) -> "Directions":
        return Directions(self.method, self.vectors[:count], self.sigmas[:count])

    def offset(self, amounts: np.ndarray, scale: float) -> np.ndarray:
        """The w offset [w_dim] for an amount per direction."""
        weights = np.asarray(amounts, dtype=np.float64) * scale * self.sigmas
        return (weights @ self.vectors).astype(np.float32)


def conv_ws_index(res: int, conv: int) -> int:
    """Which w a synthesis conv reads: b4.conv1 -> 0, b8.conv0 -> 1, b8.conv1 -> 2, ..."""
    return 0 if res == 4 else 2 * int(math.log2(res)) - 5 + conv


def sefa_vectors(state: Mapping[str, object], layers: slice) -> tuple[np.ndarray, np.ndarray]:
    """SeFa (Shen & Zhou 2021): eigenvectors of AᵀA, A stacking the style affine weights of the
    convs reading ws in `layers` with each output row normalised. Returns (vectors [w_dim, w_dim]
    as rows, eigenvalues), strongest first."""
    picked = []
    for index, weight in _style_affines(state):
        if layers.start <= index < layers.stop:
            # Tensors (on any device, in any precision) or arrays.
            array = weight.detach().float().cpu().numpy() if hasattr(weight, "detach") else weight
            picked.append(np.asarray(array, dtype=np.float64))
    if not picked:
        raise UserError(f"no style layers in ws {layers.start}-{layers.stop - 1} for SeFa")
    a = np.concatenate(picked)  # [sum of channels, w_dim]
    a /= np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
    values, vectors = np.linalg.eigh(a.T @ a)
    order = np.argsort(values)[::-1]
    return vectors[:, order].T.astype(np.float32), values[order]


def _style_affines(state: Mapping[str, object]) -> list[tuple[int, object]]:
    """(ws index, affine weight) of every conv's style affine, StyleGAN2 or StyleGAN3 (whose last
    layer, its ToRGB, is left out as StyleGAN2's ToRGBs are)."""
    sg2 = [
        (conv_ws_index(int(m.group(1)), int(m.group(2))), weight)
        for key, weight in state.items()
        if (m := _AFFINE.fullmatch(key))
    ]
    sg3 = sorted(
        (int(m.group(1)) + 1, weight) for key, weight in state.items() if (m := _AFFINE_SG3.fullmatch(key))
    )
    return sg2 + sg3[:-1]


def _sigmas(vectors: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Standard deviation of sampled w along each direction."""
    return np.std(w.astype(np.float64) @ vectors.T.astype(np.float64), axis=0).astype(np.float32)


def sefa(state: Mapping[str, object], layers: slice, space: LatentSpace, count: int) -> Directions:
    """The `count` strongest SeFa directions of a generator's state dict, with their sigmas."""
    vectors, _ = sefa_vectors(state, layers)
    vectors = vectors[:count]
    return Directions("sefa", vectors, _sigmas(vectors, space.sample_w(SIGMA_SAMPLES, seed=0)))


def ganspace_vectors(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GANSpace (Härkönen et al. 2020): principal axes of sampled w [N, w_dim], as rows, with
    the standard deviation along each, strongest first."""
    centred = w.astype(np.float64) - w.mean(axis=0)
    _, singular, axes = np.linalg.svd(centred, full_matrices=False)
    return axes.astype(np.float32), (singular / math.sqrt(max(len(w) - 1, 1))).astype(np.float32)


def _probe(space: LatentSpace) -> np.ndarray:
    rng = np.random.default_rng(12345)
    z = rng.standard_normal((PROBE_SEEDS, space.z_dim), dtype=np.float32)
    return space.map(z, space.labels([0] * PROBE_SEEDS))


def ganspace(space: LatentSpace, samples: int, cache: Path | None = None) -> Directions:
    """GANSpace directions, read from `cache` when it was made for this model and sample count."""
    probe = _probe(space)
    if cache is not None and cache.is_file():
        try:
            with np.load(cache, allow_pickle=False) as stored:
                same_model = np.allclose(stored["probe"], probe, rtol=1e-3, atol=1e-3)
                if same_model and int(stored["samples"]) == samples:
                    return Directions("ganspace", stored["vectors"], stored["sigmas"])
        except (OSError, ValueError, KeyError) as error:
            log.warning("ignoring unreadable GANSpace cache %s: %s", cache, error)
    log.info("computing GANSpace directions from %d samples", samples)
    vectors, sigmas = ganspace_vectors(space.sample_w(samples, seed=0))
    if cache is not None:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            with open(cache, "wb") as f:
                np.savez(f, vectors=vectors, sigmas=sigmas, samples=samples, probe=probe)
        except OSError as error:
            log.warning("could not cache GANSpace directions at %s: %s", cache, error)
    return Directions("ganspace", vectors, sigmas)


def cache_path(model: str | Path) -> Path:
    """`<model>.ganspace.npz` beside a checkpoint; the user cache folder for the default model."""
    if str(model) == DEFAULT_MODEL:
        root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        return root / "installation" / f"default{CACHE_SUFFIX}"
    return Path(str(model) + CACHE_SUFFIX)


def directions_for(show: Show, G, space: LatentSpace) -> Directions | None:
    """The directions `show.motion` asks for, from generator G; None when it asks for none."""
    motion = show.motion
    if not motion.offered_directions:
        return None
    if motion.directions == "sefa":
        layers = layer_slice(motion.direction_layers, space.num_ws)
        return sefa(G.state_dict(), layers, space, motion.direction_count)
    cache = cache_path(show.model.path)
    return ganspace(space, motion.ganspace_samples, cache).first(motion.direction_count)
