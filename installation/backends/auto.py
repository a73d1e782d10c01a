"""'auto': time every backend this machine has on the model's full resolution and keep the fastest.

The choice is kept in the model's cache folder, keyed by weights, resolution, precision,
runtime versions, CPU, thread count and device, so only the first load pays for the
calibration (and for exporting and compiling, whose results are cached as well).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import TypeVar

import torch

from installation.backends.base import Backend
from installation.backends.cache import ModelCache
from installation.backends.graph import example_inputs
from installation.timing import device_sync

log = logging.getLogger(__name__)

CHOICES_FILE = "backend-choice.json"
REPEATS = 5

Factory = Callable[[str, bool], Backend]  # (name, background) -> backend
K = TypeVar("K")


def choose(
    G, device: torch.device, precision: str, cache: ModelCache, candidates: list[str], make: Factory
) -> Backend:
    """The fastest of `candidates` (names `make` understands), from the cache or measured now."""
    key = cache.key(
        kind="auto", resolution=G.config.img_resolution, precision=precision, threads=torch.get_num_threads()
    )
    path = cache.folder / CHOICES_FILE
    choices = _read(path)
    known = choices.get(key)
    if known and known.get("backend") in candidates:
        log.info("backend: %s (calibrated earlier: %s)", known["backend"], _summary(known["ms"]))
        return make(known["backend"], True)
    if len(candidates) == 1:
        return make(candidates[0], True)
    log.info(
        "calibrating backends (%s) for %d px %s: the first time builds and compiles, which takes a while",
        ", ".join(candidates),
        G.config.img_resolution,
        precision,
    )
    ws, gain = example_inputs(G, 1, device)
    ready: dict[str, Backend] = {}
    for name in candidates:
        backend = make(name, False)
        if backend.name == name and backend.prepare():  # else it fell back or failed, as logged
            ready[name] = backend
            backend.render(ws, noise_gain=gain)  # warm-up
    calls = {name: (lambda b=backend: b.render(ws, noise_gain=gain)) for name, backend in ready.items()}
    samples = round_robin(calls, REPEATS, device_sync(torch.device(device)))
    # The best run: load from elsewhere on a shared host only ever adds time, and the choice is kept.
    timings = {name: min(times) for name, times in samples.items()}
    best = min(timings, key=timings.get)
    log.info("backend: %s (%s)", best, _summary(timings))
    choices[key] = {
        "backend": best,
        "ms": timings,
        "resolution": G.config.img_resolution,
        "precision": precision,
    }
    _write(path, choices)
    backend = ready[best]
    if hasattr(backend, "background"):
        backend.background = True  # from now on, other shapes build without stalling a show
    return backend


def round_robin(
    calls: dict[K, Callable[[], object]], repeats: int, sync: Callable[[], None]
) -> dict[K, list[float]]:
    """Milliseconds of each call, `repeats` times, taking turns: a burst of load from elsewhere
    on a shared host then slows every candidate alike instead of the one it happens to hit."""
    samples: dict[K, list[float]] = {key: [] for key in calls}
    for _ in range(max(1, repeats)):
        for key, call in calls.items():
            start = time.perf_counter()
            call()
            sync()
            samples[key].append((time.perf_counter() - start) * 1000)
    return samples


def _summary(timings: dict[str, float]) -> str:
    return ", ".join(f"{name} {ms:.0f} ms" for name, ms in sorted(timings.items(), key=lambda kv: kv[1]))


def _read(path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _write(path, choices: dict) -> None:
    try:
        tmp = path.with_name(path.name + ".part")
        tmp.write_text(json.dumps(choices, indent=1))
        tmp.replace(path)
    except OSError as error:
        log.info("could not keep the backend choice in %s: %s", path, error)
