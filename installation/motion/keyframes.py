"""A show's keyframes as arrays for one model: seeds and files -> z, w+ and class labels."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from installation.motion.latents import seed_z
from installation.motion.space import LatentSpace
from installation.show.loader import show_error
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


class Sizes(Protocol):
    """What keyframes are checked against: a LatentSpace, or a GeneratorConfig read off a file."""

    z_dim: int
    w_dim: int
    c_dim: int
    num_ws: int


def _classes(show: Show, sizes: Sizes) -> list[int]:
    """One class per keyframes entry (0 for an unconditional model, which ignores it)."""
    motion, label = show.motion, show.model.class_label
    if not sizes.c_dim:
        if label is not None or motion.keyframe_classes:
            key = ("motion", "keyframe_classes") if motion.keyframe_classes else ("model", "class_label")
            raise show_error(show, key, "class labels are given, but the model is not conditional")
        return [0] * len(motion.keyframes)
    if motion.keyframe_classes:
        classes, key = list(motion.keyframe_classes), ("motion", "keyframe_classes")
    elif label is None:
        raise show_error(
            show,
            ("model",),
            f"the model is conditional ({sizes.c_dim} classes): "
            "set model.class_label or motion.keyframe_classes",
        )
    else:
        classes, key = [label] * len(motion.keyframes), ("model", "class_label")
    bad = [c for c in classes if c >= sizes.c_dim]
    if bad:
        raise show_error(
            show, key, f"class {bad[0]} is out of range: the model has classes 0 to {sizes.c_dim - 1}"
        )
    return classes


def _vectors(show: Show, sizes: Sizes) -> Iterator[tuple[str, np.ndarray, int]]:
    """(space, rows, class) of each keyframe, its width checked against the model's."""
    for index, (entry, label) in enumerate(zip(show.motion.keyframes, _classes(show, sizes), strict=True)):
        if isinstance(entry, int):
            yield "z", seed_z(entry, sizes.z_dim)[None], label
            continue
        key = ("motion", f"keyframes[{index}]")
        try:
            kind, rows = read_vectors(entry)
        except ValueError as error:
            raise show_error(show, key, str(error)) from None
        wanted = [(rows.shape[-1], sizes.z_dim if kind == "z" else sizes.w_dim, f"{kind} is")]
        if rows.ndim == 3:
            wanted.append((rows.shape[1], sizes.num_ws, "its number of ws is"))
        for got, want, what in wanted:
            if got != want:
                raise show_error(show, key, f"{entry.name}: {what} {got} wide, the model's is {want}")
        yield kind, rows, label


def check_keyframes(show: Show, sizes: Sizes) -> None:
    """What playing `show` on a model of these sizes would find wrong with its keyframes and
    classes, without the model itself (for `run.py check`)."""
    for _ in _vectors(show, sizes):
        pass


def load_keyframes(show: Show, space: LatentSpace) -> Keyframes:
    """Read the show's keyframes for this model, mapping z to w once."""
    zs, ws, labels = [], [], []
    for kind, rows, label in _vectors(show, space):
        if kind == "z":
            w = space.map(rows, space.labels([label] * len(rows)))
            zs.append(rows)
        else:
            w = rows
            zs.append(np.full((len(rows), space.z_dim), np.nan, dtype=np.float32))
        labels += [label] * len(rows)
        ws.append(np.broadcast_to(w[:, None], (len(w), space.num_ws, space.w_dim)) if w.ndim == 2 else w)
    return Keyframes(
        w=np.ascontiguousarray(np.concatenate(ws), dtype=np.float32),
        z=np.concatenate(zs),
        c=space.labels(labels),
    )
