"""Motion tests run on tiny random generators: real mapping and synthesis, in milliseconds."""

from dataclasses import replace

import pytest

from installation.motion import LatentSpace
from installation.params import ParameterBus
from installation.show.loader import parse_show
from tests.model.helpers import tiny_generator


@pytest.fixture(scope="session")
def G():
    return tiny_generator(seed=1, resolution=64)  # num_ws = 10: coarse, middle and fine layers


@pytest.fixture(scope="session")
def space(G):
    return LatentSpace.from_generator(G)


@pytest.fixture
def make_show(tmp_path):
    def make(text: str = "[show]\n"):  # an empty show file is refused: this is all defaults
        return parse_show(text, tmp_path / "show.toml")

    return make


def snapshot(show, **values):
    """The show's parameters at their defaults, with some set (and settled: no smoothing left)."""
    bus = ParameterBus(show.parameters, clock=lambda: 0.0)
    for name, value in values.items():
        assert bus.set(name, value), name
    return replace(bus.snapshot(1e4), glides={})  # no glide left to integrate either
