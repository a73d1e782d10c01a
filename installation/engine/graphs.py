"""CUDA graphs around any backend: the render call is captured once per (level, batch, noise
mode) and replayed with new ws copied into its static input, saving the per-layer launch cost.

Only where CUDA is. A capture that fails falls back to plain calls for that shape, logged once:
the generator's half-precision NaN guard reads a value back to the host, which a capture
forbids, so in practice 'fp32' is captured and 'mixed' runs eagerly.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import torch

from installation.backends.base import Backend

log = logging.getLogger(__name__)

WARMUP_CALLS = 3  # before capture, on a side stream, as CUDA graphs require


@dataclass(frozen=True)
class _CaptureKey:
    """What a captured graph is fixed to."""

    stop_res: int | None
    ws_shape: tuple[int, ...]
    noise_mode: str


@dataclass(frozen=True)
class _Capture:
    """A captured graph with the static tensors its replays read (ws, gains) and write (out)."""

    ws: torch.Tensor
    gain: torch.Tensor
    graph: torch.cuda.CUDAGraph
    out: torch.Tensor


class GraphedBackend(Backend):
    """Same interface as the wrapped backend. The returned images are the graph's static output:
    valid until the next `render`, which is how the engine uses them."""

    def __init__(self, backend: Backend) -> None:
        super().__init__(backend.G, backend.device, backend.precision)
        self.inner = backend
        self.name = f"cuda-graph+{backend.name}"
        self._graphs: dict[_CaptureKey, _Capture] = {}
        self._failed: set[_CaptureKey] = set()

    @property
    def resolutions(self) -> list[int]:
        return self.inner.resolutions

    def render(self, ws, *, stop_res=None, noise_mode="const", noise_gain=1.0) -> torch.Tensor:
        key = _CaptureKey(stop_res, tuple(ws.shape), noise_mode)
        capture = None if key in self._failed else self._graphs.get(key) or self._capture(key, ws)
        if capture is None:
            return self.inner.render(ws, stop_res=stop_res, noise_mode=noise_mode, noise_gain=noise_gain)
        capture.ws.copy_(ws, non_blocking=True)
        if isinstance(noise_gain, torch.Tensor):
            capture.gain.copy_(noise_gain, non_blocking=True)
        else:
            capture.gain.fill_(float(noise_gain))
        capture.graph.replay()
        return capture.out

    def _capture(self, key: _CaptureKey, ws: torch.Tensor) -> _Capture | None:
        static_ws = ws.to(self.device, torch.float32).clone()
        static_gain = torch.ones(ws.shape[0], device=self.device)  # a tensor, so replays can change it
        kw = dict(stop_res=key.stop_res, noise_mode=key.noise_mode, noise_gain=static_gain)
        try:
            side = torch.cuda.Stream(self.device)
            side.wait_stream(torch.cuda.current_stream(self.device))
            with torch.cuda.stream(side):
                for _ in range(WARMUP_CALLS):
                    self.inner.render(static_ws, **kw)
            torch.cuda.current_stream(self.device).wait_stream(side)
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                out = self.inner.render(static_ws, **kw)
        except Exception as error:  # noqa: BLE001 - capture rules are the driver's; any refusal: run eagerly
            self._failed.add(key)
            log.info(
                "CUDA graph capture failed for %s, rendering eagerly: %s", key, str(error).splitlines()[0]
            )
            torch.cuda.synchronize(self.device)
            return None
        self._graphs[key] = _Capture(static_ws, static_gain, graph, out)
        return self._graphs[key]
