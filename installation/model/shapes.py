"""Shape checks at the boundaries of the model's layers, so a wrong tensor fails where it enters.

Pure comparisons of sizes: nothing touches the data, so they cost nothing per frame and trace
through torch.export (a `None` leaves an axis free, e.g. a dynamic batch).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch


def assert_shape(tensor: torch.Tensor, expected: Sequence[int | None], name: str) -> None:
    """Raise AssertionError naming `name` unless `tensor` has len(expected) axes of those sizes."""
    shape = tuple(tensor.shape)
    if len(shape) != len(expected) or any(
        want is not None and got != want for got, want in zip(shape, expected, strict=True)
    ):
        wanted = ", ".join("*" if want is None else str(want) for want in expected)
        raise AssertionError(f"{name} has shape {list(shape)}, expected [{wanted}]")
