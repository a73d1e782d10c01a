"""'auto': time every backend this machine has on the model's full resolution and keep the fastest.

The choice is kept in the model's cache folder, keyed by weights, resolution, precision,
runtime versions, machine (CPU model and instruction set, GPU), thread count and device, so only
the first load pays for the calibration (and for exporting and compiling, whose results are
cached as well). Choices made on another machine are dropped when this one writes its own.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import torch

from installation.backends.base import Backend
from installation.backends.build import first_line, stopping
from installation.backends.cache import ModelCache, used
from installation.backends.graph import example_inputs
from installation.backends.torch_eager import TorchEagerBackend, morphed
from installation.timing import device_sync

log = logging.getLogger(__name__)

CHOICES_FILE = "backend-choice.json"
REPEATS = 5

Factory = Callable[[str, bool], Backend]  # (name, background) -> backend
K = TypeVar("K")


def choose(
    G,
    device: torch.device,
    precision: str,
    cache: ModelCache,
    candidates: list[str],
    make: Factory,
    background: bool = False,
) -> Backend:
    """The fastest of `candidates` (names `make` understands), from the cache or measured now;
    with `background`, measured in a thread while torch eager renders (`Calibrating`)."""
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
    if background:
        return Calibrating(
            G, device, precision, lambda: _calibrate(G, device, precision, cache, candidates, make, key)
        )
    return _calibrate(G, device, precision, cache, candidates, make, key)


def _calibrate(
    G, device: torch.device, precision: str, cache: ModelCache, candidates: list[str], make: Factory, key: str
) -> Backend:
    """Build every candidate, time them in turns on the model's full resolution, keep the
    fastest, and note the choice under `key` (dropping those another machine made)."""
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
    path = cache.folder / CHOICES_FILE
    choices = {
        k: v for k, v in _read(path).items() if isinstance(v, dict) and v.get("machine") == cache.machine
    }
    choices[key] = {
        "backend": best,
        "ms": timings,
        "resolution": G.config.img_resolution,
        "precision": precision,
        "machine": cache.machine,
    }
    _write(path, choices)
    backend = ready[best]
    if hasattr(backend, "background"):
        backend.background = True  # from now on, other shapes build without stalling a show
    return backend


class Calibrating(Backend):
    """'auto' on a model's first start: renders with torch eager at once while a thread builds
    and times the candidates, then with the fastest. Until then `ready` says False, so the
    engine times its levels again once the choice is made and its graphs are built."""

    def __init__(self, G, device: torch.device, precision: str, calibrate: Callable[[], Backend]) -> None:
        super().__init__(G, device, precision)
        self._eager = TorchEagerBackend(G, device, precision)
        self._chosen: Backend | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(calibrate,), name="auto-calibration", daemon=True
        )
        self._thread.start()

    @property
    def name(self) -> str:  # type: ignore[override] - the chosen backend's, once chosen
        return self._chosen.name if self._chosen is not None else "auto (calibrating; torch meanwhile)"

    def _run(self, calibrate: Callable[[], Backend]) -> None:
        try:
            self._chosen = calibrate()
        except Exception as error:  # noqa: BLE001 - a calibration that fails leaves torch eager, said once
            if not stopping():  # else the process is exiting and ended the builds
                log.warning("backend calibration failed (%s): rendering with torch eager", first_line(error))
            self._chosen = self._eager
        self._done.set()

    def render(
        self,
        ws,
        *,
        stop_res=None,
        noise_mode="const",
        noise_gain=1.0,
        noise=None,
        bends=None,
        mix=None,
        transform=None,
    ) -> torch.Tensor:
        backend = self._chosen or self._eager
        kw = dict(stop_res=stop_res, noise_mode=noise_mode, noise_gain=noise_gain, noise=noise)
        eager = isinstance(backend, TorchEagerBackend)
        if transform is not None:  # StyleGAN3's input transforms: every backend takes them
            kw["transform"] = transform
        if bends is not None:  # a graph backend takes the bending as inputs; torch eager as its hook
            kw["bend" if eager else "bends"] = bends
        if mix is not None:  # and a morph's amount as an input; torch eager renders the morph's copy
            if eager:
                backend = morphed(backend, *mix)
            else:
                kw["mix"] = mix
        return backend.render(ws, **kw)

    def ready(self, stop_res: int | None = None, batch: int = 1, noise_fields: bool = False) -> bool:
        chosen = self._chosen
        return chosen is not None and chosen.ready(stop_res, batch, noise_fields)

    def loading(self, stop_res: int | None = None, batch: int = 1, noise_fields: bool = False) -> bool:
        chosen = self._chosen
        return chosen is not None and chosen.loading(stop_res, batch, noise_fields)

    def prepare(self, stop_res: int | None = None, batch: int = 1, bends: tuple = (), mix=None) -> bool:
        self._done.wait()
        return self._chosen.prepare(stop_res, batch, bends, mix)


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
        choices = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    used(path)
    return choices if isinstance(choices, dict) else {}


def _write(path, choices: dict) -> None:
    try:
        tmp = path.with_name(path.name + ".part")
        tmp.write_text(json.dumps(choices, indent=1))
        tmp.replace(path)
    except OSError as error:
        log.info("could not keep the backend choice in %s: %s", path, error)
