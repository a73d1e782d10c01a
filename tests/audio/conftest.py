"""Fixtures for the audio tests: a JACK server (the one running, else one on the dummy driver
for the session) and a second JACK client that plays test signals into our port."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator

import pytest

from installation.bench.control import private_jack
from tests.parts import require_part


@pytest.fixture(scope="session")
def jack_server() -> Iterator[str]:
    if importlib.util.find_spec("jack") is None:
        require_part("JACK-Client", "the jack package is not installed (pip install JACK-Client)")
    with private_jack(period=256, audio=True) as why:
        if why is None:
            require_part("JACK", "no JACK server running and no jackd to start (apt-get install jackd2)")
        yield why
