"""Where backends keep what they build (exported graphs, compiled code, calibration results).

Beside the model file when it has one and its folder is writable, else in the user's cache
(`$XDG_CACHE_HOME/installation` or `~/.cache/installation`). File names carry a key made of the
weights' hash and everything else that invalidates a build or a measurement: torch and
onnxruntime versions, the CPU, the device, and what the caller adds (a thread count for timings).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import platform
from pathlib import Path

import torch

from installation.timing import machine_description

log = logging.getLogger(__name__)


def user_cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "installation"


def weights_hash(G: torch.nn.Module) -> str:
    """A digest of every tensor of the generator, names, shapes and values, and of the options
    that change what it renders but live outside its state dict (clamp, resample filter, ...)."""
    digest = hashlib.blake2b(digest_size=16)
    config = getattr(G, "config", None)
    if dataclasses.is_dataclass(config):
        options = {f.name: getattr(config, f.name) for f in dataclasses.fields(config) if f.compare}
        digest.update(repr(sorted(options.items())).encode())
    for name, tensor in sorted(G.state_dict().items()):
        digest.update(f"{name}{tuple(tensor.shape)}".encode())
        digest.update(tensor.detach().to("cpu", torch.float32).contiguous().numpy().tobytes())
    return digest.hexdigest()


def onnxruntime_version() -> str:
    try:
        import onnxruntime
    except ImportError:
        return "none"
    return onnxruntime.__version__


class ModelCache:
    """The cache folder of one generator on one device; `path` names a file for one build."""

    def __init__(self, G: torch.nn.Module, device: torch.device, folder: str | Path | None = None) -> None:
        self.weights = weights_hash(G)
        self.device = torch.device(device)
        source = G.config.extra.get("path")
        default = Path(f"{source}.cache") if source else user_cache_root() / "models" / self.weights
        self.folder = self._writable(Path(folder) if folder is not None else default)

    def _writable(self, folder: Path) -> Path:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            probe = folder / ".write-test"
            probe.touch()
            probe.unlink()
            return folder
        except OSError:
            fallback = user_cache_root() / "models" / self.weights
            log.info("cannot write to %s: caching in %s", folder, fallback)
            fallback.mkdir(parents=True, exist_ok=True)
            return fallback

    def key(self, **parts: object) -> str:
        """A short digest of the weights, torch/onnxruntime versions, CPU, device and `parts`."""
        machine = {k: v for k, v in machine_description(self.device).items() if k != "threads"}
        text = json.dumps(
            {
                "weights": self.weights,
                "onnxruntime": onnxruntime_version(),
                "arch": platform.machine(),
                **machine,
                **{k: str(v) for k, v in parts.items()},
            },
            sort_keys=True,
        )
        return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()

    def path(self, stem: str, suffix: str, **parts: object) -> Path:
        return self.folder / f"{stem}-{self.key(**parts)}{suffix}"
