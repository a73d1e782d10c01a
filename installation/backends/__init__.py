"""Render backends: one small interface, several ways to run the synthesis network.

The engine only ever calls `Backend.render`; nothing outside this package knows which runs.
"""

from __future__ import annotations

from installation.backends.base import Backend
from installation.backends.torch_eager import TorchEagerBackend

__all__ = ["Backend", "TorchEagerBackend", "create_backend"]


def create_backend(G, device, precision: str = "fp32", name: str = "auto") -> Backend:
    """The backend for this generator. Only torch eager exists so far; 'auto' picks it."""
    if name not in ("auto", "torch"):
        from installation.errors import UserError

        raise UserError(f"unknown backend {name!r}: available: auto, torch")
    return TorchEagerBackend(G, device, precision)
