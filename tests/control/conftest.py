"""Fixtures for the control-surface tests: shows from TOML text, running surfaces, and a MIDI
system (a JACK server on the dummy driver if nothing else) for real MIDI ports."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from installation.bench.control import private_jack
from installation.control.midi_api import MidiApi, choose_api
from installation.control.surfaces import ControlSurfaces
from installation.params.bus import ParameterBus
from installation.show.loader import parse_show
from installation.show.sections import Show


@pytest.fixture
def show_file(tmp_path: Path) -> Callable[[str], Show]:
    def make(text: str) -> Show:
        path = tmp_path / "show.toml"
        path.write_text(text, encoding="utf-8")
        return parse_show(text, path)

    return make


@pytest.fixture
def running(show_file: Callable[[str], Show]) -> Iterator[Callable[..., tuple[ControlSurfaces, ParameterBus]]]:
    """Start surfaces for a show text; all are stopped after the test."""
    started: list[ControlSurfaces] = []

    def start(text: str, **kwargs) -> tuple[ControlSurfaces, ParameterBus]:
        show = show_file(text)
        bus = ParameterBus(show.parameters)
        surfaces = ControlSurfaces(show, bus, **kwargs)
        surfaces.start()
        started.append(surfaces)
        return surfaces, bus

    yield start
    for surfaces in started:
        surfaces.stop()


@pytest.fixture(scope="session")
def jack() -> Iterator[MidiApi]:
    """A usable MIDI system for real ports: the one running (ALSA, or a JACK server), else a
    JACK server with the dummy driver started for the session; skips when there is neither."""
    with private_jack(period=256) as why:
        api = choose_api()
        if why is None or api.api is None:
            pytest.skip("no MIDI system: no /dev/snd/seq, no JACK server, and no jackd to start (apt-get install jackd2)")
        yield api
