"""What the compiled backends share: one built graph per (stop resolution, batch size), made on
first use, in a background thread or on the spot, with torch eager covering for what is not built.

A graph that cannot be built or run leaves its shape on torch eager for good, said once in the
log; random noise always renders eagerly (the graphs carry the constant noise and a gain).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from abc import abstractmethod
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import torch

from installation.backends.base import Backend
from installation.backends.cache import ModelCache
from installation.backends.torch_eager import TorchEagerBackend

log = logging.getLogger(__name__)

# Each loaded graph holds its own weights and buffers (0.2-0.9 GB at 1024 px): keep the most
# recently used few; an evicted one reloads from the disk cache in under a second.
MAX_LOADED_GRAPHS = 4

Runner = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (ws, noise_gain [B]) -> images


class GraphBackend(Backend):
    """Subclasses say how to build a runner for one shape (`_build`); this class decides when.

    With `background`, the first render of a new shape starts its build in a worker thread and
    renders eagerly until it is done, so a live show never stalls on a compile."""

    def __init__(self, G, device, precision: str, *, cache: ModelCache, background: bool = True) -> None:
        super().__init__(G, device, precision)
        self.cache = cache
        self.background = background
        self.eager = TorchEagerBackend(G, device, precision)
        self._runners: OrderedDict[tuple[int, int], Runner | None] = OrderedDict()  # None: cannot be built
        self._pending: dict[tuple[int, int], threading.Event] = {}
        self._queue: queue.Queue[tuple[int, int]] = queue.Queue()
        self._worker: threading.Thread | None = None

    @abstractmethod
    def _build(self, stop_res: int, batch: int) -> Runner: ...

    def render(self, ws, *, stop_res=None, noise_mode="const", noise_gain=1.0) -> torch.Tensor:
        stop = stop_res or self.G.config.img_resolution
        key = (stop, ws.shape[0])
        runner = None
        if noise_mode != "random" and stop in self.resolutions:
            runner = self._runner(key, wait=not self.background)
        if runner is not None:
            self._touch(key)
            gain = self._gains(ws.shape[0], 0.0 if noise_mode == "none" else noise_gain)
            try:
                with torch.no_grad():
                    img = runner(ws.to(self.device, torch.float32).contiguous(), gain)
            except Exception as error:  # a runtime's refusal: this shape renders eagerly from now on
                log.warning("%s failed to run %d px x %d (%s): torch eager renders it",
                            self.name, *key, _first_line(error))  # fmt: skip
                self._runners[key] = None
            else:
                # Half-precision graphs have no per-block NaN guard; the eager path does.
                if self.precision == "fp32" or bool(torch.isfinite(img).all()):
                    return img
        return self.eager.render(ws, stop_res=stop_res, noise_mode=noise_mode, noise_gain=noise_gain)

    def _graph_path(self, stop_res: int, batch: int, suffix: str) -> Path:
        """Where this backend keeps its build for one shape (the key covers weights and versions)."""
        return self.cache.path(f"synthesis-{stop_res}px-b{batch}-{self.precision}", suffix, stop_res=stop_res,
                               batch=batch, precision=self.precision)  # fmt: skip

    def prepare(self, stop_res: int | None = None, batch: int = 1) -> bool:
        return self._runner((stop_res or self.G.config.img_resolution, batch), wait=True) is not None

    def _touch(self, key: tuple[int, int]) -> None:
        """Mark `key` as just used and unload the least recently used graphs over the limit.
        Only the rendering thread reorders or deletes; the worker only adds."""
        self._runners.move_to_end(key)
        loaded = [k for k, runner in self._runners.items() if runner is not None]
        for old in loaded[:-MAX_LOADED_GRAPHS]:
            del self._runners[old]

    def _gains(self, batch: int, noise_gain: torch.Tensor | float) -> torch.Tensor:
        if isinstance(noise_gain, torch.Tensor):
            return noise_gain.to(self.device, torch.float32).expand(batch).contiguous()
        return torch.full((batch,), float(noise_gain), device=self.device)

    def _runner(self, key: tuple[int, int], wait: bool) -> Runner | None:
        # Only this thread adds to `_pending`; the worker keeps a runner before it drops the
        # pending entry, so looking at `_pending` first never misses a finished build.
        event = self._pending.get(key)
        if event is not None:
            if wait:
                event.wait()
            return self._runners.get(key)
        if key in self._runners:
            return self._runners[key]
        if wait:
            self._build_and_keep(key)
            return self._runners[key]
        self._pending[key] = threading.Event()
        self._queue.put(key)
        if self._worker is None:
            # A daemon: quitting mid-compile is fine, builds are written under a temporary name.
            self._worker = threading.Thread(target=self._work, name=f"{self.name}-build", daemon=True)
            self._worker.start()
        return None

    def _work(self) -> None:
        while True:
            key = self._queue.get()
            self._build_and_keep(key)
            self._pending.pop(key).set()

    def _build_and_keep(self, key: tuple[int, int]) -> None:
        start = time.perf_counter()
        try:
            runner = self._build(*key)
        except Exception as error:  # missing exporter, compiler or provider: never a crash
            log.warning("%s cannot build the %d px x %d graph (%s): torch eager renders it",
                        self.name, *key, _first_line(error))  # fmt: skip
            runner = None
        else:
            log.info("%s: %d px x %d ready in %.1f s", self.name, *key, time.perf_counter() - start)
        self._runners[key] = runner


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0] if text else ''}"
