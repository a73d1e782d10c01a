"""shows/midi_performance.toml as a Novation Launch Control XL plays it: the controller's own
factory numbers sent through a real JACK MIDI port move the directions, the faders' parameters
and the keyframe."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.control.helpers import MotionWatch, eventually, settled
from tests.control.test_midi import KnobBox

SHOW = Path(__file__).resolve().parents[2] / "shows" / "midi_performance.toml"
CONTROLLER = f"Launch Control XL {os.getpid()}"  # as the show's inputs pattern finds it

# The Launch Control XL's user template 1 (channel 1), from Novation's documentation.
KNOBS_TOP_ROW = range(13, 21)
FADERS = {77: "speed", 78: "psi", 79: "radius", 80: "mix_amount", 81: "noise_strength"}
TRACK_FOCUS = (41, 42, 43, 44, 57, 58, 59, 60)
PREVIOUS, NEXT = 73, 74  # the first two track control buttons
CC, NOTE_ON, NOTE_OFF = 0xB0, 0x90, 0x80


@pytest.fixture
def controller(jack, running):
    knobs = KnobBox(jack, CONTROLLER)
    try:
        surfaces, bus = running(SHOW.read_text(encoding="utf-8"), midi_api=jack)
        assert eventually(lambda: surfaces.midi.open_inputs == [f"{CONTROLLER}:knobs"], timeout=5.0)
        yield knobs, bus, surfaces
    finally:
        knobs.unplug()


def sweep(knobs: KnobBox, control: int, end: int) -> None:
    """Turn a control from one end to the other and back to `end`, past whatever value it drives
    (soft takeover picks the knob up once it passes the value)."""
    for value in (0, 127, end):
        knobs.send(CC, control, value)


def test_the_eight_knobs_drive_the_eight_directions(controller) -> None:
    knobs, bus, _ = controller
    ends = {cc: 16 * i for i, cc in enumerate(KNOBS_TOP_ROW)}
    for cc, end in ends.items():
        sweep(knobs, cc, end)
    expected = {f"direction_{i}": -1 + 2 * end / 127 for i, end in enumerate(ends.values())}
    assert eventually(
        lambda: all(settled(bus)[name] == pytest.approx(value) for name, value in expected.items())
    ), {name: settled(bus)[name] for name in expected}


def test_the_faders_drive_speed_psi_and_the_rest(controller) -> None:
    knobs, bus, _ = controller
    for cc in FADERS:
        sweep(knobs, cc, 64)
    speed = (8 ** (64 / 127) - 1) / 7 * 8  # exponential curve over 0..8
    assert eventually(lambda: settled(bus)["speed"] == pytest.approx(speed)), settled(bus)["speed"]
    now = settled(bus)
    assert now["psi"] == pytest.approx(2 * 64 / 127)
    assert now["radius"] == pytest.approx(2 * 64 / 127)
    assert now["mix_amount"] == pytest.approx(64 / 127)
    assert now["noise_strength"] == pytest.approx(4 * 64 / 127)


def test_the_buttons_move_the_keyframe(controller) -> None:
    knobs, bus, surfaces = controller
    motion = MotionWatch(surfaces.show, bus)

    def press(note: int, velocity: int = 100) -> None:
        knobs.send(NOTE_ON, note, velocity)
        knobs.send(NOTE_OFF, note, 0)

    for keyframe in (5, 0, 7, 2):
        press(TRACK_FOCUS[keyframe], velocity=1 + 18 * keyframe)  # however hard it is hit
        assert eventually(lambda k=keyframe: motion.keyframe() == k), motion.keyframe()
    press(NEXT)  # from where motion is
    assert eventually(lambda: motion.keyframe() == 3), motion.keyframe()
    press(PREVIOUS)
    press(PREVIOUS)
    assert eventually(lambda: motion.keyframe() == 1), motion.keyframe()
