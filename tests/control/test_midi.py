"""MIDI end to end through real rtmidi ports on a JACK server (dummy driver): a virtual output
port plays the knob box, a virtual input port stands for its LEDs."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import rtmidi

from installation.control.midi_api import MidiApi
from tests.control.helpers import MotionWatch, eventually, settled

BOX = f"KnobBox{os.getpid()}"

SHOW = f"""
[osc]
enabled = false
[midi]
inputs = ["{BOX}"]
outputs = ["{BOX}.*:leds"]
takeover = "none"

[[mappings]]
midi = "cc 1"
to = "psi"

[[mappings]]
midi = "ch 2 cc 7"
to = "speed"
fine = true

[[mappings]]
midi = "cc 16"
to = "radius"
encoder = "twos_complement"
step = 0.1

[[mappings]]
midi = "note 36"
to = "keyframe:next"

[[mappings]]
midi = "program"
to = "scene"

[scenes.calm]
values = {{ psi = 0.2 }}
crossfade = 0

[scenes.wild]
values = {{ psi = 1.8 }}
crossfade = 0
"""


class KnobBox:
    """A controller: a virtual output port to play, and a virtual input port that records."""

    def __init__(self, api: MidiApi, name: str = BOX) -> None:
        self.out = rtmidi.MidiOut(rtapi=api.api, name=name)
        self.out.open_virtual_port("knobs")
        self._received: list[list[int]] = []
        self.leds = rtmidi.MidiIn(rtapi=api.api, name=f"{name}-lights")  # JACK client names are unique
        self.leds.open_virtual_port("leds")  # read, not called back: see installation/control/midi_ports.py
        self.ports = [self.out, self.leds]

    @property
    def received(self) -> list[list[int]]:
        """What reached the LEDs so far (`received.clear()` forgets it)."""
        while self.ports and (event := self.leds.get_message()) is not None:
            self._received.append(event[0])
        return self._received

    def send(self, *message: int) -> None:
        self.out.send_message(list(message))

    def unplug(self) -> None:
        """Close both ports (once: rtmidi crashes on a second delete)."""
        ports, self.ports = self.ports, []
        for port in ports:
            port.close_port()
            port.delete()


@pytest.fixture
def box(jack):
    boxes = []

    def make(name: str = BOX) -> KnobBox:
        boxes.append(KnobBox(jack, name))
        return boxes[-1]

    yield make
    for b in boxes:
        b.unplug()


@pytest.fixture
def midi(jack, box, running):
    knobs = box()
    surfaces, bus = running(SHOW, midi_api=jack)
    assert eventually(lambda: surfaces.midi.open_inputs == [f"{BOX}:knobs"])
    return surfaces, bus, knobs


def test_control_changes_14_bit_and_encoders(midi) -> None:
    surfaces, bus, knobs = midi
    knobs.send(0xB0, 1, 127)
    assert eventually(lambda: settled(bus)["psi"] == 2.0)
    knobs.send(0xB1, 7, 64)  # channel 2: coarse half, then the fine half
    knobs.send(0xB1, 7 + 32, 0x40)
    expected = ((64 << 7) | 0x40) / 16383 * 8.0
    assert eventually(lambda: settled(bus)["speed"] == pytest.approx(expected))
    knobs.send(0xB0, 7, 0)  # channel 1: not this mapping
    for value in (1, 1, 127):  # +1, +1, -1 in two's complement, 0.1 of the range each
        knobs.send(0xB0, 16, value)
    assert eventually(lambda: settled(bus)["radius"] == pytest.approx(0.7))
    assert settled(bus)["speed"] == pytest.approx(expected)


def test_notes_and_program_changes(midi) -> None:
    surfaces, bus, knobs = midi
    motion = MotionWatch(surfaces.show, bus)
    knobs.send(0x90, 36, 100)
    knobs.send(0x80, 36, 0)
    knobs.send(0x90, 36, 90)
    assert eventually(lambda: motion.keyframe() == motion.start + 2)  # two after where motion is
    knobs.send(0xC0, 1)  # program 1: the second scene
    assert eventually(lambda: settled(bus)["psi"] == 1.8)
    assert surfaces.controls.scene_name == "wild"


def test_clock_sets_the_tempo(midi) -> None:
    surfaces, bus, knobs = midi
    knobs.send(0xFA)
    interval = 60.0 / 125.0 / 24
    start = time.perf_counter()
    sent = []
    for i in range(24 * 3 + 1):  # the clock writes at ticks 25, 37, ..., 73: the last is one
        while time.perf_counter() < start + i * interval:
            time.sleep(0.0005)
        knobs.send(0xF8)
        sent.append(time.perf_counter())
    # The tempo is judged against the ticks as they were really sent (a loaded machine delays
    # some), over the clock's window of the last two beats; JACK delivers them a period at a time.
    span = sent[-1] - sent[-1 - 2 * 24]
    played = 60.0 * 2 / span
    period = 1024 / 48000  # the largest period a test JACK server here runs with
    tolerance = played * (1.5 * period / span) + 0.05
    assert eventually(lambda: abs(settled(bus)["bpm"] - played) < tolerance), (settled(bus)["bpm"], played)


def test_feedback_reaches_the_controller_leds(midi) -> None:
    surfaces, bus, knobs = midi
    surfaces.controls.write("psi", 1.0, "osc", "osc")  # moved elsewhere: the LED ring follows
    assert eventually(lambda: [0xB0, 1, 64] in knobs.received)
    knobs.received.clear()
    knobs.send(0xB0, 1, 100)  # moved by the knob itself: nothing sent back to fight it
    assert eventually(lambda: settled(bus)["psi"] == pytest.approx(200 / 127))
    time.sleep(0.2)
    assert [m for m in knobs.received if m[:2] == [0xB0, 1]] == []


def test_a_replugged_controller_works_again_within_two_seconds(midi, box) -> None:
    surfaces, bus, knobs = midi
    knobs.unplug()
    assert eventually(lambda: surfaces.midi.open_inputs == [])
    # Two seconds by design: ports are listed every `poll` seconds, and a port that appears is
    # opened at the next listing. Counting listings keeps this true on a loaded machine too.
    assert surfaces.midi.poll <= 1.0
    listed = surfaces.midi.refreshes
    again = box(f"{BOX}-2")  # back under another name, as a new ALSA client number would give
    assert eventually(lambda: surfaces.midi.open_inputs == [f"{BOX}-2:knobs"], timeout=10.0)
    assert surfaces.midi.refreshes - listed <= 2  # found at the first listing after it appeared
    again.send(0xB0, 1, 0)
    assert eventually(lambda: settled(bus)["psi"] == 0.0)


def test_learn_binds_saves_and_reloads(jack, box, running, show_file) -> None:
    knobs = box()
    surfaces, bus = running(SHOW, midi_api=jack)
    assert eventually(lambda: surfaces.midi.open_inputs == [f"{BOX}:knobs"])
    assert surfaces.learn("mix_amount") and not surfaces.learn("no_such_parameter")
    knobs.send(0xB3, 20, 5)  # the control moved: channel 4, cc 20
    learnt = surfaces.bindings.learn.path
    assert eventually(lambda: learnt.exists())
    assert learnt.name == "show.midi-learn.toml" and 'midi = "ch 4 cc 20"' in learnt.read_text()
    knobs.send(0xB3, 20, 127)
    assert eventually(lambda: settled(bus)["mix_amount"] == 1.0)
    surfaces.stop()
    again, bus2 = running(SHOW, midi_api=jack)  # the next start reads the binding back
    assert eventually(lambda: again.midi.open_inputs == [f"{BOX}:knobs"])
    knobs.send(0xB3, 20, 0)
    knobs.send(0xB3, 20, 127)
    assert eventually(lambda: settled(bus2)["mix_amount"] == 1.0)


def test_run_py_midi_list_names_the_system_and_the_ports(jack, box) -> None:
    box()
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, str(root / "run.py"), "midi", "list"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert f"MIDI system: {jack.label}" in done.stdout and f"mido.backends.rtmidi/{jack.name}" in done.stdout
    inputs, outputs = done.stdout.split("outputs")
    assert f"{BOX}:knobs" in inputs and f"{BOX}-lights:leds" in outputs


def test_run_py_midi_monitor_prints_controls_as_a_show_names_them(jack, box) -> None:
    knobs = box()
    root = Path(__file__).resolve().parents[2]
    monitor = subprocess.Popen(
        [sys.executable, "-u", str(root / "run.py"), "midi", "monitor", BOX],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    printed: list[str] = []
    reader = threading.Thread(target=lambda: printed.extend(monitor.stdout), daemon=True)
    reader.start()
    wanted = [
        f"{BOX}:knobs: ch 1 cc 21 = 64",  # channel 1 on the wire is 0 to mido, 1 in a show
        f"{BOX}:knobs: ch 10 note 36 = 100",
        f"{BOX}:knobs: ch 10 note 36 off",
        f"{BOX}:knobs: ch 2 program 3",
    ]
    try:
        assert eventually(lambda: any(line.startswith("move a control") for line in printed), timeout=30)
        assert f"opened: {BOX}:knobs\n" in printed  # the box was there first: opened at start
        # One at a time: rtmidi's JACK output repeats the first of several messages sent
        # within one JACK period (a sender-side quirk; a hardware controller is not affected).
        for count, message in enumerate(([0xB0, 21, 64], [0x99, 36, 100], [0x89, 36, 0], [0xC1, 3]), 1):
            knobs.send(*message)
            assert eventually(lambda n=count: sum(": ch " in line for line in printed) >= n, timeout=10), (
                printed
            )
    finally:
        monitor.terminate()
        monitor.wait(timeout=10)
        reader.join(timeout=10)
    assert [line.rstrip("\n") for line in printed if ": ch " in line] == wanted, printed


def test_asking_for_alsa_while_only_jack_runs_says_what_is_there(jack) -> None:
    if jack.label != "JACK":
        pytest.skip("this machine has an ALSA sequencer, so --api alsa works")
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, str(root / "run.py"), "midi", "list", "--api", "alsa"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stdout.startswith("no MIDI: no ALSA MIDI: no usable ALSA sequencer (/dev/snd/seq)")
    assert "no JACK server running" not in done.stdout and "--api jack" in done.stdout
