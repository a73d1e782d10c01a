"""The start-up probe on a backend that renders graphs: its batch sizes, and the order it asks
for the graphs of the levels."""

import time

import pytest
import torch

from installation.backends.base import Backend
from installation.engine import probe
from installation.engine.probe import measure_costs
from tests.engine.live_helpers import SlerpSource, tiny_backend


class InstantGraphs(Backend):
    """Stands for a backend whose graph of every level is built and far faster than torch eager
    (the probe times batches above 1 on torch eager, as they have no graph)."""

    name = "instant-graphs"

    def render(self, ws, *, stop_res=None, noise_mode="const", noise_gain=1.0, noise=None):
        size = stop_res or self.G.config.img_resolution
        return torch.zeros(ws.shape[0], 3, size, size)


def test_batches_are_not_planned_where_they_would_render_slower_than_the_graph():
    G = tiny_backend(16).G
    backend = InstantGraphs(G, torch.device("cpu"), "fp32")
    sample = SlerpSource(G).latents([0.5])
    costs = measure_costs(backend, sample, [8, 16], frame_budget_ms=40, batch_budget_ms=200, max_batch=8)
    assert costs.pending == frozenset()  # timed on the backend itself
    assert costs.frame_ms[16] < 1.0
    # a batch of 2 would render on torch eager: per frame far slower than one graph frame
    assert costs.batch_factor == {1: 1.0}


class Unbuilt(InstantGraphs):
    """Stands for a backend with no graph built yet: records the order the levels are asked for."""

    name = "unbuilt"

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.asked: list[int] = []

    def ready(self, stop_res=None, batch=1, noise_fields=False) -> bool:
        self.asked.append(stop_res)
        return False


EAGER_MS = {4: 5.0, 8: 12.0, 16: 45.0}  # torch eager's cost per level, as the probe times it


@pytest.mark.parametrize(
    ("budget_ms", "order"),
    [
        (20.0, [8, 16, 4]),  # eager renders 8 px within budget: its graph first, then 16 px's
        (100.0, [16, 8, 4]),  # every level fits: the sharpest first
        (1.0, [4, 8, 16]),  # none fits: from the lowest, which the show plays, up
    ],
)
def test_graphs_are_asked_for_from_the_level_the_show_plays_while_they_build(monkeypatch, budget_ms, order):
    G = tiny_backend(16).G
    backend = Unbuilt(G, torch.device("cpu"), "fp32")
    timed = []

    def eager_ms(on, latents, level, batch=1, **_):
        timed.append(on)
        return EAGER_MS[level] * batch

    monkeypatch.setattr(probe, "render_ms", eager_ms)
    sample = SlerpSource(G).latents([0.5])
    costs = measure_costs(backend, sample, [16, 4, 8], budget_ms, batch_budget_ms=0, max_batch=1)
    assert backend.asked == order  # asked once each: builds, not loads, so nothing is waited for
    assert costs.pending == {4, 8, 16}  # none timed on a graph: each is timed again once built
    assert costs.frame_ms[4] == EAGER_MS[4] and backend not in timed


class LoadingSoon(Unbuilt):
    """Stands for a backend whose graphs were built before: each loads a moment after it is
    asked for, and renders ten times faster than torch eager."""

    name = "loading-soon"

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.since: dict[int, float] = {}

    def ready(self, stop_res=None, batch=1, noise_fields=False) -> bool:
        super().ready(stop_res, batch, noise_fields)
        return time.monotonic() - self.since.setdefault(stop_res, time.monotonic()) > 0.2

    def loading(self, stop_res=None, batch=1, noise_fields=False) -> bool:
        return stop_res in self.since and not self.ready(stop_res, batch, noise_fields)


def test_graphs_that_load_in_a_moment_are_timed_on_them_before_the_show_starts(monkeypatch):
    G = tiny_backend(16).G
    backend = LoadingSoon(G, torch.device("cpu"), "fp32")
    monkeypatch.setattr(
        probe, "render_ms", lambda on, _, level, batch=1, **__: EAGER_MS[level] / (10 if on is backend else 1)
    )
    sample = SlerpSource(G).latents([0.5])
    costs = measure_costs(backend, sample, [4, 8, 16], 20.0, batch_budget_ms=0, max_batch=1)
    assert costs.pending == frozenset()
    assert costs.frame_ms == {level: ms / 10 for level, ms in EAGER_MS.items()}
