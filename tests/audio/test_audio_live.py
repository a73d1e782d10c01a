"""Live sound through a real JACK path: a second JACK client plays a click track into our input
port, and the features drive the show's parameters through `[[mappings]] audio = ...`."""

from __future__ import annotations

import re
import threading

import numpy as np
import pytest

from installation.audio.features import Features
from installation.control.surfaces import ControlSurfaces
from installation.params.bus import ParameterBus
from installation.show.loader import parse_show
from tests.audio.signals import RATE, JackPlayer, click_track
from tests.control.helpers import QUIET
from tests.polling import wait_for


def audio_show(tmp_path, audio: str, mappings: str):
    text = QUIET + "[audio]\nenabled = true\n" + audio + mappings
    path = tmp_path / "show.toml"
    path.write_text(text, encoding="utf-8")
    return parse_show(text, path)


@pytest.fixture
def player(jack_server):
    samples, _ = click_track(120, 4.0)
    player = JackPlayer(samples)
    yield player
    player.close()


class Recorded:
    """Every analysis block the surface saw, from the analysis thread."""

    def __init__(self) -> None:
        self.blocks: list[Features] = []
        self.lock = threading.Lock()

    def __call__(self, features: Features, _arrived: float | None) -> None:
        with self.lock:
            self.blocks.append(features)

    def onset_times(self) -> list[float]:
        with self.lock:
            return [f.t for f in self.blocks if f.sound.onset_event]


def test_clicks_from_a_second_jack_client_drive_the_mappings(player, tmp_path) -> None:
    show = audio_show(
        tmp_path,
        f"connect = ['{re.escape(player.port.name)}']\ntempo = false\n",
        """
[[mappings]]
audio = "onset_event"
to = "mix_amount"
release = 0.3

[[mappings]]
audio = "loudness"
to = "radius"
""",
    )
    bus = ParameterBus(show.parameters)
    surfaces = ControlSurfaces(show, bus)
    surfaces.start()
    try:
        audio = surfaces.audio
        wait_for(lambda: audio.stream.state == "running", 10, "the JACK input to open")
        recorded = Recorded()
        audio.taps.append(recorded)
        peaks = []
        audio.taps.append(lambda _f, _a: peaks.append(surfaces.controls.current("mix_amount")))
        player.play()
        wait_for(lambda: len(recorded.onset_times()) >= 8, 15, "seven clicks")
        gaps = np.diff(recorded.onset_times()[1:])  # the first may be the faint noise starting
        # Clicks 0.5 s apart, each found within a block: gaps of 0.5 s give or take two blocks.
        # (A loaded machine can make the dummy driver skip a period, and the jump is an onset.)
        on_time = np.abs(gaps - 0.5) <= 2 * 512 / RATE
        assert on_time.sum() >= 4 and on_time.mean() > 0.6, gaps
        assert max(peaks) > 0.9  # the onset pulse drove mix_amount up ...
        assert min(peaks[len(peaks) // 2 :]) < 0.3  # ... and the release let it fall between clicks
        assert surfaces.controls.last_writer("radius") == "audio:loudness->radius"
        assert surfaces.hud()["audio"] == "running"
    finally:
        surfaces.stop()
