"""Key bindings, the autopilot, and the show checks that span sections."""

from __future__ import annotations

import dataclasses
import socket
import threading
import time

import pytest

from installation.control.surfaces import ControlSurfaces
from installation.errors import UserError
from installation.params.bus import ParameterBus
from tests.control.helpers import QUIET, MotionWatch, eventually, settled

KEYS = (
    QUIET
    + """
[parameters.glow]
type = "bool"

[[mappings]]
key = "space"
to = "keyframe:next"

[[mappings]]
key = "up"
to = "psi"

[[mappings]]
key = "down"
to = "psi"
step = -0.25

[[mappings]]
key = "g"
to = "glow"

[[mappings]]
key = "1"
to = "scene:calm"

[[mappings]]
key = "l"
to = "learn:speed"

[scenes.calm]
values = { speed = 3 }
crossfade = 0
"""
)


def test_keys_step_toggle_recall_and_arm_learn(running) -> None:
    surfaces, bus = running(KEYS)
    motion = MotionWatch(surfaces.show, bus)
    assert surfaces.on_key("space") and surfaces.on_key("SPACE")
    assert not surfaces.on_key("x")  # unbound: the display may use it
    surfaces.on_key("up")  # psi 0.7 + 0.05 of its 0..2 range
    surfaces.on_key("down")
    surfaces.on_key("g")
    surfaces.on_key("1")
    surfaces.on_key("l")
    values = settled(bus)
    assert motion.keyframe() == motion.start + 2 and values["psi"] == pytest.approx(0.7 + 0.1 - 0.5)
    assert values["glow"] is True and values["speed"] == 3.0
    assert surfaces.bindings.learn.armed == "speed"


AUTOPILOT = (
    QUIET
    + """
[autopilot]
idle_seconds = 0.3
fade_seconds = 0.3

[[mappings]]
key = "up"
to = "psi"
"""
)


def test_autopilot_eases_back_to_defaults_and_hands_back(running) -> None:
    surfaces, bus = running(AUTOPILOT)
    c = surfaces.controls
    c.write("psi", 1.5, "osc", "osc")
    c.write("cutoff", 3, "osc", "osc")
    c.note_input("osc")
    time.sleep(0.1)
    assert not surfaces.bindings.autopilot.engaged
    assert eventually(lambda: surfaces.bindings.autopilot.engaged, timeout=1.0)
    assert settled(bus)["cutoff"] == 64  # ints return at once
    assert eventually(lambda: settled(bus)["psi"] == pytest.approx(0.7), timeout=1.0)  # floats glide
    surfaces.on_key("up")  # someone is back
    assert eventually(lambda: not surfaces.bindings.autopilot.engaged, timeout=0.5)
    assert settled(bus)["psi"] == pytest.approx(0.8)


def test_autopilot_cycles_scenes_and_obeys_commands(running) -> None:
    text = AUTOPILOT.replace(
        "fade_seconds = 0.3", 'fade_seconds = 0\nscenes = ["a", "b"]\nscene_seconds = 0.2'
    )
    text += "[scenes.a]\nvalues = { psi = 0.1 }\n[scenes.b]\nvalues = { psi = 0.2 }\n"
    surfaces, bus = running(text.replace("idle_seconds = 0.3", "idle_seconds = 60"))
    surfaces.controls.action("autopilot:on", None, "osc")
    assert surfaces.bindings.autopilot.engaged
    assert eventually(lambda: surfaces.controls.scene_name == "a")
    assert eventually(lambda: surfaces.controls.scene_name == "b")
    assert eventually(lambda: surfaces.controls.scene_name == "a")
    surfaces.controls.action("autopilot:off", None, "osc")
    assert not surfaces.bindings.autopilot.engaged


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[mappings]]\nkey = "a"\nto = "nothing"\n', "show.toml:3: mappings[0].to: no parameter 'nothing'"),
        (
            '[[mappings]]\nkey = "a"\nto = "psi"\n[[mappings]]\nkey = "b"\nto = "scene:x"\n',
            "show.toml:6: mappings[1].to: no scene 'x'",
        ),
        (
            "[scenes.a]\nvalues = { psi = 9 }\n",
            "show.toml:2: scenes.a.values: psi = 9.0 is outside its range 0 to 2",
        ),
        ('[autopilot]\nscenes = ["a"]\n', "show.toml:2: autopilot.scenes: no scene 'a'"),
    ],
)
def test_cross_section_mistakes_name_file_line_and_key(show_file, text: str, message: str) -> None:
    # The loader refuses them, so no show with such a mistake ever reaches the surfaces.
    with pytest.raises(UserError) as error:
        show_file(text)
    assert message in str(error.value)


def test_schema_mistakes_in_mappings_are_caught_by_the_loader(show_file) -> None:
    for text, fragment in [
        (
            '[[mappings]]\nmidi = "cc 1"\nkey = "a"\nto = "psi"\n',
            "exactly one of midi, osc, webcam, audio, key",
        ),
        ('[[mappings]]\nmidi = "cc 40"\nfine = true\nto = "psi"\n', "fine (14-bit) needs a cc from 0 to 31"),
        ('[[mappings]]\nosc = "/a b"\nto = "psi"\n', "expected an OSC address"),
        ('[[mappings]]\nkey = "a"\nto = "keyframe:sideways"\n', "expected a parameter name or an action"),
    ]:
        with pytest.raises(UserError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
            show_file(text)


def test_one_port_taken_turns_off_only_osc(show_file) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        show = show_file(KEYS.replace("[osc]\nport = 0", f'[osc]\nhost = "127.0.0.1"\nport = {port}'))
        bus = ParameterBus(show.parameters)
        surfaces = ControlSurfaces(show, bus)
        surfaces.start()
        try:
            assert surfaces.osc is None
            assert surfaces.hud()["osc"].startswith(f"off: cannot listen for OSC on 127.0.0.1:{port}")
            assert surfaces.on_key("g") and settled(bus)["glow"] is True  # the keys still work
            surfaces.controls.action("autopilot:on", None, "key")
            assert surfaces.bindings.autopilot.engaged and surfaces.hud()["autopilot"] == "on"
        finally:
            surfaces.stop()


def test_a_rebuild_swaps_whole_bindings_while_the_surfaces_are_in_use(running) -> None:
    surfaces, bus = running(KEYS)
    with pytest.raises(dataclasses.FrozenInstanceError):
        surfaces.bindings.keyboard = None
    errors: list[BaseException] = []
    done = threading.Event()

    def play() -> None:  # what the OSC, MIDI and ticker threads do, as fast as it goes
        try:
            while not done.is_set():
                surfaces.on_key("up")
                surfaces.on_key("1")
                surfaces.hud()
                surfaces.controls.action("scene:next", None, "osc")
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    player = threading.Thread(target=play)
    player.start()
    try:
        for _ in range(200):  # reloads and MIDI-learn rebuilds meanwhile
            before = surfaces.bindings
            surfaces.reconfigure(surfaces.show)
            assert surfaces.bindings is not before
    finally:
        done.set()
        player.join()
    assert errors == []
    assert settled(bus)["speed"] == 3.0  # the last scene recall landed through new bindings
