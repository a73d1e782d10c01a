"""Fixtures for the control-surface tests: shows from TOML text, running surfaces, a JACK
server for real MIDI ports, and a helper to wait for something to happen."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from installation.control.midi_api import MidiApi, jack_server_running, choose_api
from installation.control.surfaces import ControlSurfaces
from installation.params.bus import ParameterBus
from installation.show.loader import parse_show
from installation.show.sections import Show
from tests.control.helpers import eventually

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
    """A running JACK server (the one already running, else a private one with the dummy
    driver), as the MIDI API the tests use."""
    process = None
    if not jack_server_running():
        if shutil.which("jackd") is None:
            pytest.skip("no JACK server running and no jackd to start one (apt-get install jackd2)")
        name = f"installation-test-{os.getpid()}"
        os.environ["JACK_DEFAULT_SERVER"] = name
        process = subprocess.Popen(
            ["jackd", "--no-realtime", "-n", name, "-d", "dummy", "-r", "48000", "-p", "256"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        if not eventually(jack_server_running, timeout=10):
            process.kill()
            pytest.skip("jackd did not start (dummy driver)")
    api = choose_api("jack")
    if api.api is None:
        pytest.skip(f"JACK MIDI not usable: {api.reason}")
    yield api
    if process is not None:
        process.terminate()
        process.wait(timeout=10)
