"""A sound file as the input (rehearsing without a band): the beat tracker's tempo reaches the
`bpm` parameter and yields to MIDI clock, beats step keyframes, and a missing file is an input
that is not there yet, retried until it appears."""

from __future__ import annotations

import soundfile

from installation.control.surfaces import ControlSurfaces
from installation.params.bus import ParameterBus
from installation.show.loader import parse_show
from tests.audio.signals import RATE, click_track
from tests.control.helpers import QUIET
from tests.polling import wait_for

SHOW = (
    QUIET
    + """[audio]
enabled = true
input = "file"
file = "clicks.wav"
tempo_min = 90.0
tempo_confidence = 0.2
tempo_yield = 1.5

[[mappings]]
audio = "beat"
every = 2
to = "keyframe:next"
"""
)


def start(tmp_path):
    path = tmp_path / "show.toml"
    path.write_text(SHOW, encoding="utf-8")
    show = parse_show(SHOW, path)
    bus = ParameterBus(show.parameters)
    surfaces = ControlSurfaces(show, bus)
    surfaces.start()
    return surfaces, bus


def test_a_file_sets_the_tempo_steps_keyframes_and_yields_to_midi_clock(tmp_path) -> None:
    samples, _ = click_track(128, 6.0)
    soundfile.write(tmp_path / "clicks.wav", samples, RATE)
    surfaces, bus = start(tmp_path)
    c = surfaces.controls
    try:
        wait_for(lambda: c.last_writer("bpm") == "audio-tempo", 15, "the tracker to write bpm")
        assert abs(c.current("bpm") - 128) < 128 * 0.02
        keyframes = bus.snapshot().count("keyframe")
        wait_for(lambda: bus.snapshot().count("keyframe") >= keyframes + 2, 10, "two keyframe steps")
        c.write("bpm", 100.0, "midi-clock", "midi-clock")  # a sequencer's clock arrives
        seen = []
        surfaces.audio.taps.append(lambda f, _a: seen.append((f.t, c.current("bpm"))))
        wait_for(lambda: c.last_writer("bpm") == "audio-tempo", 10, "the tracker to take over again")
        held = [bpm for t, bpm in seen if t - seen[0][0] < 1.4]
        assert held and set(held) == {100.0}  # for tempo_yield seconds the clock's tempo stood
        assert abs(c.current("bpm") - 128) < 128 * 0.02
    finally:
        surfaces.stop()


def test_a_missing_file_is_retried_until_it_appears(tmp_path, caplog) -> None:
    surfaces, bus = start(tmp_path)
    try:
        audio = surfaces.audio
        wait_for(lambda: audio.stream.state.startswith("lost"), 5, "the missing file to be noticed")
        assert "clicks.wav: no such file" in audio.stream.state
        samples, _ = click_track(128, 2.0)
        soundfile.write(tmp_path / "partial.wav", samples, RATE)
        (tmp_path / "partial.wav").rename(tmp_path / "clicks.wav")  # appears whole
        wait_for(lambda: audio.stream.state == "running", 5, "the file to be picked up")
        assert sum("audio off" in r.getMessage() for r in caplog.records) == 1  # said once, not per retry
    finally:
        surfaces.stop()
