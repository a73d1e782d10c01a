"""Fixtures for the audio tests: a JACK server (the one running, else one on the dummy driver
for the session) and a second JACK client that plays test signals into our port."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from installation.bench.control import private_jack


@pytest.fixture(scope="session")
def jack_server() -> Iterator[str]:
    pytest.importorskip("jack", reason="JACK-Client is not installed (pip install installation[audio])")
    with private_jack(period=256, audio=True) as why:
        if why is None:
            pytest.skip("no JACK server running and no jackd to start (apt-get install jackd2)")
        yield why
