"""Start-up measurements the engine plans with: CPU threads, cost per level, gain per batch size."""

from __future__ import annotations

import logging
import os
import statistics

import torch

from installation.backends.base import Backend
from installation.engine.latents import Latents
from installation.engine.planner import MIN_BATCH_GAIN, Costs
from installation.timing import device_sync, median_ms

log = logging.getLogger(__name__)

REPEATS = 3


def timing_twin(backend: Backend) -> Backend:
    """What the probe times: torch eager on the same model. Backends that compile build a graph
    for each new shape, and a probe of every level and batch size would set off a build for
    each; the planner corrects the costs by what the real backend then measures."""
    from installation.backends import TorchEagerBackend

    if isinstance(backend, TorchEagerBackend):
        return backend
    return TorchEagerBackend(backend.G, backend.device, backend.precision)


LEVEL_HEADROOM = 2.0  # probe levels until one costs this many frame budgets (room to go up later)


def render_ms(
    backend: Backend, latents: Latents, level: int, batch: int = 1, repeats: int = REPEATS, warmup: int = 1
) -> float:
    """Median ms of one render of `batch` copies of the first latent, after `warmup` untimed ones."""
    ws = latents.ws[:1].expand(batch, -1, -1).contiguous()
    gain = latents.noise_gain
    gain = gain[:1].expand(batch) if isinstance(gain, torch.Tensor) else gain
    kw = dict(stop_res=level, noise_mode=latents.noise_mode, noise_gain=gain)
    return median_ms(lambda: backend.render(ws, **kw), repeats, warmup, sync=device_sync(backend.device))


def pick_threads(backend: Backend, latents: Latents, level: int) -> int:
    """On a CPU, time one thread against all of them and keep the faster: on a contended host
    two threads were measured at 4-10x slower than one. Sets torch's thread count for the
    calling thread (the one that will render)."""
    cores = os.cpu_count() or 1
    if backend.device.type != "cpu" or cores == 1:
        return torch.get_num_threads()
    torch.set_num_threads(1)
    single = render_ms(backend, latents, level)
    torch.set_num_threads(cores)
    render_ms(backend, latents, level, repeats=1, warmup=0)  # starts the larger pool: not timed
    times = []
    for _ in range(REPEATS):  # stop early when all cores are clearly worse: each try costs time
        times.append(render_ms(backend, latents, level, repeats=1, warmup=0))
        if times[-1] > 2 * single:
            break
    best = cores if statistics.median(times) < single else 1
    torch.set_num_threads(best)
    log.info("CPU threads: %d (1: %.0f ms, %d: %.0f ms)", best, single, cores, statistics.median(times))
    return best


def measure_costs(
    backend: Backend,
    latents: Latents,
    levels: list[int],
    frame_budget_ms: float,
    batch_budget_ms: float,
    max_batch: int,
) -> Costs:
    """Cost per frame of each level from the lowest up, stopping once a level is well over the
    budget (higher ones are extrapolated); then the batch sizes that pay off at the highest
    level within budget."""
    levels = sorted(levels)
    frame_ms: dict[int, float] = {}
    for level in levels:
        frame_ms[level] = render_ms(backend, latents, level)
        if frame_ms[level] > frame_budget_ms * LEVEL_HEADROOM:
            break
    measured = list(frame_ms)
    growth = frame_ms[measured[-1]] / frame_ms[measured[-2]] if len(measured) > 1 else 4.0
    for level in levels[len(measured) :]:
        frame_ms[level] = frame_ms[max(frame_ms)] * max(growth, 2.0)
    fitting = [lv for lv in levels if frame_ms[lv] <= frame_budget_ms] or levels[:1]
    level = fitting[-1]
    batch_factor = {1: 1.0}
    batch = 2
    while batch <= max_batch and frame_ms[level] * batch <= batch_budget_ms:
        factor = render_ms(backend, latents, level, batch) / batch / frame_ms[level]
        if factor > min(batch_factor.values()) * MIN_BATCH_GAIN:
            break
        batch_factor[batch] = factor
        batch *= 2
    log.info(
        "render cost per frame: %s; batch gain: %s",
        ", ".join(f"{lv}px {ms:.0f} ms" for lv, ms in frame_ms.items()),
        ", ".join(f"{b}: {f:.2f}" for b, f in batch_factor.items()),
    )
    return Costs(frame_ms, batch_factor)
