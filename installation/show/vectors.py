"""Latent vectors that a show names as keyframes: `.npy` and `.npz` files.

A `.npy` holds z ([z_dim] or [K, z_dim]) or, if 3-D, w+ ([K, num_ws, w_dim]): a 2-D array
could be either, so plain w goes in a `.npz` under the key `w` (z under `z`).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

_MAGIC = {".npy": (b"\x93NUMPY", "a NumPy .npy file"), ".npz": (b"PK\x03\x04", "a NumPy .npz archive")}


def _check_header(path: Path) -> None:
    """Look at the first bytes, so that another kind of file gets a plain answer rather than
    numpy's guess that it is a pickle (which is never loaded here)."""
    magic, what = _MAGIC[path.suffix.lower()]
    try:
        with path.open("rb") as f:
            head = f.read(len(magic))
    except OSError as error:
        raise ValueError(f"cannot read {path.name}: {error.strerror or error}") from None
    if head != magic:
        raise ValueError(f"{path.name} is not {what}" + (" (it is empty)" if not head else ""))


def read_vectors(path: Path) -> tuple[str, np.ndarray]:
    """('z', [K, z_dim]), ('w', [K, w_dim]) or ('w', [K, num_ws, w_dim]) as float32.

    A `.npz` from NVIDIA's projector (`w` of shape [1, num_ws, w_dim]) reads as one w+ vector,
    as does that array saved as a `.npy`.
    Raises ValueError with a one-line reason.
    """
    _check_header(path)
    try:
        if path.suffix.lower() == ".npy":
            array, keys = np.load(path, allow_pickle=False), []
            space = "w" if array.ndim == 3 else "z"
        else:
            with np.load(path, allow_pickle=False) as archive:
                keys = archive.files
                space = next((key for key in ("w", "z") if key in keys), None)
                array = None if space is None else archive[space]
    except (OSError, EOFError, ValueError, zipfile.BadZipFile) as error:
        raise ValueError(f"cannot read {path.name}: {error}") from None
    if array is None:
        raise ValueError(f"{path.name} holds neither 'z' nor 'w' (it has {', '.join(keys) or 'nothing'})")
    if array.dtype.kind not in "fiu" or array.size == 0:
        raise ValueError(f"{path.name}: expected numbers, got an array of {array.dtype}")
    if array.ndim == 1:
        array = array[None]
    if array.ndim != 2 and not (space == "w" and array.ndim == 3):
        raise ValueError(
            f"{path.name}: {space} of shape {list(array.shape)} is not [K, dim]"
            + (" or [K, num_ws, w_dim]" if space == "w" else "")
        )
    if not np.isfinite(array).all():
        raise ValueError(f"{path.name}: holds NaN or infinite values")
    return space, array.astype(np.float32)
