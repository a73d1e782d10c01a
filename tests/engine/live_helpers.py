"""Stand-ins for the tests of the live loop: a tiny latent function and a hand-driven clock."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest
import torch

from installation.backends import TorchEagerBackend
from installation.engine import Latents
from installation.engine.planner import Costs
from installation.model.imaging import seed_latents
from tests.model.helpers import tiny_generator


class SlerpSource:
    """A loop between two seeds' ws with period `period` seconds; `set_offset` plays a
    parameter write (it shifts every w and bumps the version)."""

    def __init__(self, G, period: float = 4.0, seeds: tuple[int, int] = (0, 1)) -> None:
        with torch.inference_mode():
            self._ws = G.mapping(seed_latents(list(seeds), G.z_dim).float())
        self.period = period
        self.offset = 0.0
        self.writes = 0
        self.calls: list[list[float]] = []

    def set_offset(self, offset: float) -> None:
        self.offset = offset
        self.writes += 1

    def version(self) -> int:
        return self.writes

    def latents(self, times: Sequence[float]) -> Latents:
        self.calls.append(list(times))
        f = torch.tensor([(1 - math.cos(2 * math.pi * t / self.period)) / 2 for t in times])[:, None, None]
        ws = self._ws[0] + f * (self._ws[1] - self._ws[0]) + self.offset
        return Latents(ws.float(), noise_gain=1.0, noise_mode="const")


class HandClock:
    """A time function the test moves by hand (for ShowClock(time_fn=...))."""

    def __init__(self, t: float = 100.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def tiny_backend(resolution: int = 64, precision: str = "fp32") -> TorchEagerBackend:
    return TorchEagerBackend(tiny_generator(resolution=resolution), "cpu", precision)


def flat_costs(levels: Sequence[int], ms: float = 1.0) -> Costs:
    """Costs that make every level fit any budget: no probing in tests that do not need it."""
    return Costs({lv: ms for lv in levels}, {1: 1.0})


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Tiny models run as fast on one thread, and far faster on a host busy with other work.
    (Imported by the conftest of each live-loop test folder.)"""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
