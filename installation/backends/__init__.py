"""Render backends: one small interface, several ways to run the synthesis network.

The engine only ever calls `Backend.render`; nothing outside this package knows which runs.
"""

from __future__ import annotations

import logging
from pathlib import Path

import torch

from installation.backends.base import Backend
from installation.backends.torch_eager import TorchEagerBackend

__all__ = ["BACKENDS", "Backend", "TorchEagerBackend", "available_backends", "create_backend"]

log = logging.getLogger(__name__)

# 'onnxruntime' alone means its best installed provider.
BACKENDS = (
    "auto",
    "torch",
    "torch-compiled",
    "onnxruntime",
    "onnxruntime-cpu",
    "onnxruntime-cuda",
    "onnxruntime-tensorrt",
)


def create_backend(
    G,
    device: torch.device | str,
    precision: str = "fp32",
    name: str = "auto",
    *,
    cache_dir: str | Path | None = None,
    background: bool = True,
) -> Backend:
    """The backend called `name` for this generator; 'auto' times those available and keeps the
    fastest (remembered in the cache folder). One that cannot run here falls back to torch
    eager with a log line. `cache_dir` overrides where builds and choices are kept (default:
    beside the model file, or the user cache for models without one); with `background`,
    graphs for new shapes are built in a worker thread, and auto's first calibration runs in
    one, while torch eager renders."""
    from installation.errors import UserError

    if name not in BACKENDS:
        raise UserError(f"unknown backend {name!r}: available: {', '.join(BACKENDS)}")
    device = torch.device(device)
    if name == "torch":
        return TorchEagerBackend(G, device, precision)
    from installation.backends.cache import ModelCache

    cache = ModelCache(G, device, cache_dir)

    def make(which: str, in_background: bool) -> Backend:
        return _make(G, device, precision, which, cache, in_background)

    if name == "auto":
        from installation.backends.auto import choose

        return choose(G, device, precision, cache, available_backends(device, precision), make, background)
    return make(name, background)


def available_backends(device: torch.device | str, precision: str) -> list[str]:
    """Names of the backends that can run `precision` here, torch eager first."""
    from installation.backends import compiled, onnxrt

    device = torch.device(device)
    names = ["torch"]
    if compiled.unavailable_reason(device) is None:
        names.append("torch-compiled")
    installed = onnxrt.installed_providers()
    if installed and onnxrt.unavailable_reason(installed[0], precision) is None:
        names.append(f"onnxruntime-{installed[0]}")
    return names


def _make(G, device: torch.device, precision: str, name: str, cache, background: bool) -> Backend:
    from installation.backends import compiled, onnxrt

    if name == "torch":
        return TorchEagerBackend(G, device, precision)
    if name == "torch-compiled":
        reason = compiled.unavailable_reason(device)
        if reason is None:
            return compiled.CompiledBackend(G, device, precision, cache=cache, background=background)
    else:
        provider = name.removeprefix("onnxruntime").removeprefix("-") or None
        reason = onnxrt.unavailable_reason(provider, precision)
        if reason is None:
            return onnxrt.OnnxRuntimeBackend(
                G,
                device,
                precision,
                cache=cache,
                background=background,
                provider=provider or onnxrt.installed_providers()[0],
            )
    log.warning("backend %s unavailable (%s): using torch eager", name, reason)
    return TorchEagerBackend(G, device, precision)
