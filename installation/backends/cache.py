"""Where backends keep what they build (exported graphs, compiled code, calibration results).

Beside the model file when it has one and its folder is writable, else in the user's cache
(`$XDG_CACHE_HOME/installation` or `~/.cache/installation`). File names carry a key made of the
weights' hash and everything else that invalidates a build or a measurement: our own graph
code, torch and onnxruntime versions, the device, and what the caller adds (a thread count for
timings); and a tag of the machine (CPU model and instruction set, GPU model on CUDA).

What another machine left in a folder is never trusted: its files are deleted when a cache of
this folder is opened (with this machine's builds unused for a month), and built or measured
again here when needed. The user cache is kept
under `MAX_USER_CACHE_BYTES`: the files used longest ago go first (using one touches it).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import logging
import os
import platform
import re
import time
from pathlib import Path

import torch

from installation.timing import machine_description

log = logging.getLogger(__name__)


def user_cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "installation"


MAX_USER_CACHE_BYTES = 2 * 1024**3  # models' builds in the user cache, all models together
PARTIAL_MAX_AGE_S = 3600.0  # a half-written build this old was left by a process that died
UNUSED_MAX_AGE_S = 30 * 86400.0  # a build of this machine unused this long is stale
TAGGED = re.compile(r".*-m(?P<machine>[0-9a-f]{8})-[0-9a-f]{16}(?P<partial>\.partial)?\.[^.]+")


def machine_tag(device: torch.device) -> str:
    """8 hex digits naming this machine for caches: CPU model and instruction set, architecture,
    and the GPU's model when rendering on CUDA."""
    machine = machine_description(device)
    parts = [platform.machine(), machine["cpu"], *machine["isa"], machine.get("gpu", "")]
    return hashlib.blake2b("|".join(parts).encode(), digest_size=4).hexdigest()


@functools.cache
def code_digest() -> str:
    """A digest of the code that decides what a built graph computes and how fast it runs (the
    model's and the backends' modules): a graph exported, or a timing made, by another version
    of it is never reused. Such files are left to go stale (`UNUSED_MAX_AGE_S`, the size bound)."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.blake2b(digest_size=8)
    for path in sorted([*package.glob("model/*.py"), *package.glob("backends/*.py")]):
        digest.update(f"{path.parent.name}/{path.name}".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


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
        self.machine = machine_tag(self.device)
        source = G.config.extra.get("path")
        default = Path(f"{source}.cache") if source else user_cache_root() / "models" / self.weights
        self.folder = self._writable(Path(folder) if folder is not None else default)
        clean_folder(self.folder, self.machine)
        prune(user_cache_root() / "models", MAX_USER_CACHE_BYTES, keep=self.folder)

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
        """A short digest of the weights, our graph code, torch/onnxruntime versions, machine,
        device and `parts`."""
        machine = {k: v for k, v in machine_description(self.device).items() if k != "threads"}
        text = json.dumps(
            {
                "weights": self.weights,
                "code": code_digest(),
                "onnxruntime": onnxruntime_version(),
                "machine": self.machine,
                **machine,
                **{k: str(v) for k, v in parts.items()},
            },
            sort_keys=True,
        )
        return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()

    def path(self, stem: str, suffix: str, **parts: object) -> Path:
        """The file for one build: `stem`, this machine's tag, the key of `parts` and the rest."""
        return self.folder / f"{stem}-m{self.machine}-{self.key(**parts)}{suffix}"


def used(path: Path) -> None:
    """Mark a cached file as just used (the user cache is pruned by last use)."""
    try:
        os.utime(path)
    except OSError:
        pass


def clean_folder(folder: Path, machine: str) -> list[Path]:
    """Delete from `folder` the builds tagged with another machine than `machine` (and untagged
    ones from before tags), which are never loaded here; this machine's builds unused for
    `UNUSED_MAX_AGE_S` (left by an older torch, a precision no longer played); and half-written
    builds older than `PARTIAL_MAX_AGE_S` (a process died while writing). Returns what went."""
    removed = []
    for path in folder.glob("synthesis-*"):
        match = TAGGED.fullmatch(path.name)
        if match is not None and match["partial"]:
            stale = _age_s(path) > PARTIAL_MAX_AGE_S
        else:
            stale = match is None or match["machine"] != machine or _age_s(path) > UNUSED_MAX_AGE_S
        if stale:
            path.unlink(missing_ok=True)
            removed.append(path)
    if removed:
        log.info(
            "removed %d builds of another machine, unused or half-written, from %s", len(removed), folder
        )
    return removed


def prune(root: Path, max_bytes: int, keep: Path | None = None) -> list[Path]:
    """Delete the files under `root` used longest ago until they take at most `max_bytes`,
    sparing `keep`'s folder and half-written files (another process may be writing them);
    empty folders go too. Returns what was deleted."""
    files = []
    for path in root.rglob("*") if root.is_dir() else []:
        try:
            stat = path.stat()
        except OSError:
            continue
        if path.is_file():
            files.append((stat.st_mtime, stat.st_size, path))
    total = sum(size for _, size, _ in files)
    removed = []
    for _, size, path in sorted(files, key=lambda f: f[0]):
        if total <= max_bytes:
            break
        if (keep is not None and path.is_relative_to(keep)) or ".partial" in path.name:
            continue
        path.unlink(missing_ok=True)
        removed.append(path)
        total -= size
    for folder in {path.parent for path in removed}:
        if folder != root and not any(folder.iterdir()):
            folder.rmdir()
    if removed:
        log.info("cache over %d MB: removed %d files used longest ago", max_bytes // 2**20, len(removed))
    return removed


def _age_s(path: Path) -> float:
    try:
        return time.time() - path.stat().st_mtime
    except OSError:
        return 0.0
