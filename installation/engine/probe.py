"""Start-up measurements the engine plans with: CPU threads, cost per level, gain per batch size."""

from __future__ import annotations

import logging
import os
import statistics
import time

import torch

from installation.backends.base import Backend
from installation.engine.latents import Latents, first_copies, render_latents
from installation.engine.planner import MIN_BATCH_GAIN, Costs
from installation.timing import device_sync, median_ms

log = logging.getLogger(__name__)

REPEATS = 3


def timing_twin(backend: Backend) -> Backend:
    """Torch eager on the same model: what a backend that compiles renders a shape with while
    its graph is being built, and what batch sizes are timed on (a build for every batch size
    tried would cost minutes, for sizes that on a CPU rarely pay)."""
    from installation.backends import TorchEagerBackend

    if isinstance(backend, TorchEagerBackend):
        return backend
    return TorchEagerBackend(backend.G, backend.device, backend.precision)


LOAD_WAIT_S = 1.0  # how long the probe waits for built graphs to load (about 0.1 s each); not for builds
LOAD_POLL_S = 0.05
LEVEL_HEADROOM = 2.0  # probe levels until one costs this many frame budgets (room to go up later)


def render_ms(
    backend: Backend, latents: Latents, level: int, batch: int = 1, repeats: int = REPEATS, warmup: int = 1
) -> float:
    """Median ms of one render of `batch` copies of the first latent (and its noise fields),
    after `warmup` untimed ones."""
    copies = first_copies(latents.for_level(backend.G, level), batch)
    return median_ms(
        lambda: render_latents(backend, copies, level), repeats, warmup, sync=device_sync(backend.device)
    )


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


def level_ms(backend: Backend, latents: Latents, level: int) -> tuple[float, bool]:
    """ms per frame at `level`, batch 1, timed on what renders it now: the backend itself once
    its graph for this shape is built, else the torch eager twin (and the build starts); and
    whether that is final (the backend's own fast path)."""
    final = backend.ready(level, 1, latents.has_noise_fields)
    return render_ms(backend if final else timing_twin(backend), latents, level), final


def build_order(levels: list[int], frame_ms: dict[int, float], frame_budget_ms: float) -> list[int]:
    """The order to build graphs in (`levels` sorted): first the sharpest level torch eager
    renders within the budget, which the show plays while it waits, so a performance show
    gets a graph in the first minute rather than after the sharpest level's; then the levels
    above it from the nearest up (a graph may make them fit); then those below, nearest first."""
    fitting = [lv for lv in levels if frame_ms[lv] <= frame_budget_ms] or levels[:1]
    here = levels.index(fitting[-1])
    return levels[here:] + levels[:here][::-1]


def measure_costs(
    backend: Backend,
    latents: Latents,
    levels: list[int],
    frame_budget_ms: float,
    batch_budget_ms: float,
    max_batch: int,
) -> Costs:
    """Cost per frame of each level from the lowest up, on torch eager, stopping once a level
    is well over the budget (higher ones are extrapolated); then, in `build_order`, each
    level's graph is asked for (its build or load starts), and the levels whose graph is there
    or loads within `LOAD_WAIT_S` are timed on it. Last, the batch sizes that pay off at the
    highest level within budget."""
    levels = sorted(levels)
    twin = timing_twin(backend)
    frame_ms: dict[int, float] = {}
    for level in levels:
        frame_ms[level] = render_ms(twin, latents, level)
        if frame_ms[level] > frame_budget_ms * LEVEL_HEADROOM:
            break
    measured = list(frame_ms)
    growth = frame_ms[measured[-1]] / frame_ms[measured[-2]] if len(measured) > 1 else 4.0
    for level in levels[len(measured) :]:
        frame_ms[level] = frame_ms[max(frame_ms)] * max(growth, 2.0)
    final = set(measured) if twin is backend else set()
    waiting = [lv for lv in build_order(levels, frame_ms, frame_budget_ms) if lv not in final]
    # Graphs built before load in a moment: they are timed here, before the show starts, rather
    # than later in the loop while the display runs. Builds take minutes and are not waited for.
    noise = latents.has_noise_fields
    deadline = time.monotonic() + LOAD_WAIT_S
    while waiting:
        there = [lv for lv in waiting if backend.ready(lv, 1, noise)]
        for level in there:
            # An extrapolated level is timed later only where a build may yet make it faster.
            if level in measured:
                frame_ms[level] = render_ms(backend, latents, level)
            final.add(level)
        waiting = [lv for lv in waiting if lv not in there]
        if time.monotonic() >= deadline or not any(backend.loading(lv, 1, noise) for lv in waiting):
            break
        time.sleep(LOAD_POLL_S)
    fitting = [lv for lv in levels if frame_ms[lv] <= frame_budget_ms] or levels[:1]
    level = fitting[-1]
    batch_factor = {1: 1.0}
    batch = 2
    while batch <= max_batch and frame_ms[level] * batch <= batch_budget_ms:
        # Against one frame on the backend itself: a batch with no graph of its own renders on
        # torch eager, and is worth it only where that beats the graph's single frames.
        factor = render_ms(twin, latents, level, batch) / batch / frame_ms[level]
        if factor > min(batch_factor.values()) * MIN_BATCH_GAIN:
            break
        batch_factor[batch] = factor
        batch *= 2
    log.info(
        "render cost per frame: %s; batch gain: %s",
        ", ".join(f"{lv}px {ms:.0f} ms" for lv, ms in frame_ms.items()),
        ", ".join(f"{b}: {f:.2f}" for b, f in batch_factor.items()),
    )
    return Costs(frame_ms, batch_factor, frozenset(levels) - final)
