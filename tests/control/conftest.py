"""Fixtures for the control-surface tests: shows from TOML text, running surfaces, and a MIDI
system (a JACK server on the dummy driver if nothing else) for real MIDI ports."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from installation.bench.control import private_jack
from installation.control.midi_api import MidiApi, choose_api
from installation.control.surfaces import ControlSurfaces
from installation.params.builtin import LATENT
from installation.params.bus import ParameterBus
from installation.show.loader import parse_show
from installation.show.sections import Show
from tests.parts import require_part


@pytest.fixture
def show_file(tmp_path: Path) -> Callable[[str], Show]:
    def make(text: str) -> Show:
        path = tmp_path / "show.toml"
        path.write_text(text, encoding="utf-8")
        return parse_show(text, path)

    return make


@pytest.fixture
def running(
    show_file: Callable[[str], Show],
) -> Iterator[Callable[..., tuple[ControlSurfaces, ParameterBus]]]:
    """Start surfaces for a show text; all are stopped after the test."""
    started: list[ControlSurfaces] = []

    def start(text: str, z_dim: int = 512, **kwargs) -> tuple[ControlSurfaces, ParameterBus]:
        show = show_file(text)
        bus = ParameterBus(show.parameters)
        bus.declare_vector(LATENT, z_dim)  # as the live show does once its model is loaded
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
            require_part(
                "JACK",
                "no MIDI system: no /dev/snd/seq, no JACK server, and no jackd to start "
                "(apt-get install jackd2)",
            )
        yield api


@pytest.fixture
def live_show(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A live show on a tiny checkpoint with its control surfaces started the way `run.py play`
    starts them (ControlsStarter, the live show's port); headless on SDL's dummy driver where
    there is no X display. Yields (live, presenter, surfaces)."""
    from installation.display import Presenter, Screen, init_video
    from installation.live import ControlsStarter, LiveShow
    from installation.show.loader import load_show
    from tests.control.helpers import eventually
    from tests.sinks.show_files import write_show

    if not os.environ.get("DISPLAY"):
        monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    extra = """
[osc]
port = 0
query_port = -1
[midi]
enabled = false
[scenes.calm]
values = { psi = 0.3 }
[[mappings]]
key = "k"
to = "keyframe:next"
[parameters.latent_mix]
type = "float"
min = 0.0
max = 1.0
default = 1.0
"""
    show = load_show(write_show(tmp_path, extra=extra))
    init_video()
    controls = ControlsStarter()
    live = LiveShow(show, port=controls, backend="torch").start()
    screen = Screen(fullscreen=False, size=(160, 120), mode="fit", vsync=False)
    presenter = Presenter(screen, live, allow_quit=False, actions=live.actions())
    presenter.key_handlers.append(controls.on_key_event)
    controls.start(live)
    try:
        assert eventually(lambda: controls.surfaces is not None or live.error is not None, timeout=60)
        assert live.error is None, live.error
        assert eventually(
            lambda: live.pair_at(live.clock.now()) is not None or live.error is not None, timeout=60
        )
        yield live, presenter, controls.surfaces
    finally:
        controls.stop()
        live.stop()
        screen.close()
