"""The start-up probe's batch sizes on a backend that renders graphs."""

import torch

from installation.backends.base import Backend
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
