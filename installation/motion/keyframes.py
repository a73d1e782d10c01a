"""A show's keyframes as arrays for one model: seeds and files -> z, w+ and class labels."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from installation.errors import UserError
from installation.motion.latents import seed_z
from installation.motion.space import LatentSpace
from installation.show.sections import Show
from installation.show.vectors import read_vectors


@dataclass(frozen=True)
class Keyframes:
    """`w` [K, num_ws, w_dim]; `z` [K, z_dim] with NaN rows where a keyframe was given as w;
    `c` [K, c_dim] labels for a conditional model (None otherwise)."""

    w: np.ndarray
    z: np.ndarray
    c: np.ndarray | None

    def __len__(self) -> int:
        return len(self.w)

    @property
    def has_z(self) -> np.ndarray:
        return ~np.isnan(self.z).any(axis=1)


def _classes(show: Show, space: LatentSpace) -> list[int]:
    """One class per keyframes entry (0 for an unconditional model, which ignores it)."""
    motion, label = show.motion, show.model.class_label
    if not space.c_dim:
        if label is not None or motion.keyframe_classes:
            raise UserError(f"{show.path}: class labels are given, but the model is not conditional")
        return [0] * len(motion.keyframes)
    if motion.keyframe_classes:
        return list(motion.keyframe_classes)
    if label is None:
        raise UserError(
            f"{show.path}: the model is conditional ({space.c_dim} classes): set model.class_label "
            "or motion.keyframe_classes"
        )
    return [label] * len(motion.keyframes)


def _check(path: Path, got: int, want: int, what: str) -> None:
    if got != want:
        raise UserError(f"{path.name}: {what} is {got} wide, the model's is {want}")


def load_keyframes(show: Show, space: LatentSpace) -> Keyframes:
    """Read the show's keyframes for this model, mapping z to w once."""
    zs, ws, labels = [], [], []
    for entry, label in zip(show.motion.keyframes, _classes(show, space), strict=True):
        if isinstance(entry, int):
            kind, rows = "z", seed_z(entry, space.z_dim)[None]
        else:
            try:
                kind, rows = read_vectors(entry)
            except ValueError as error:
                raise UserError(str(error)) from None
        if kind == "z":
            if isinstance(entry, Path):
                _check(entry, rows.shape[-1], space.z_dim, "z")
            w = space.map(rows, space.labels([label] * len(rows)))
            zs.append(rows)
        else:
            _check(entry, rows.shape[-1], space.w_dim, "w")
            if rows.ndim == 3:
                _check(entry, rows.shape[1], space.num_ws, "the number of ws")
            w = rows
            zs.append(np.full((len(rows), space.z_dim), np.nan, dtype=np.float32))
        labels += [label] * len(rows)
        ws.append(np.broadcast_to(w[:, None], (len(w), space.num_ws, space.w_dim)) if w.ndim == 2 else w)
    return Keyframes(
        w=np.ascontiguousarray(np.concatenate(ws), dtype=np.float32),
        z=np.concatenate(zs),
        c=space.labels(labels),
    )
