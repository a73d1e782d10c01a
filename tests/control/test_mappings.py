"""Mappings, scenes and fades against a real parameter bus."""

from __future__ import annotations

import math
import time

import pytest

from installation.control.controls import Controls
from installation.control.mappings import Mapping, curve, uncurve
from installation.control.scenes import SceneBook
from installation.params.bus import ParameterBus
from installation.params.spec import ParamSpec
from installation.show.control_sections import MappingSettings, MidiSource, SceneSettings
from tests.control.helpers import settled

SPECS = [
    ParamSpec("level", min=0.0, max=10.0, default=5.0),
    ParamSpec("count", type="int", min=0, max=20, default=0),
    ParamSpec("glow", type="bool"),
    ParamSpec("flash", type="trigger"),
    ParamSpec("keyframe", type="int", min=0, max=1023, default=0),
    ParamSpec("seed", type="int", min=0, max=1000, default=0),
]


SCENES = SceneBook(
    [
        SceneSettings("dim", (("level", 1.0), ("glow", True)), keyframe=2, crossfade=0.2),
        SceneSettings("bright", (("level", 9.0),), crossfade=0.0),
    ]
)


@pytest.fixture
def controls() -> Controls:
    return Controls(ParameterBus(SPECS))


def mapping(controls: Controls, takeover: str = "none", **settings) -> Mapping:
    settings.setdefault("midi", MidiSource("cc", 1))
    s = MappingSettings(**settings)
    return Mapping(s, controls.spec(s.to), takeover)


@pytest.mark.parametrize("kind", ["linear", "exponential", "log"])
def test_curves_end_at_the_ends_and_invert(kind: str) -> None:
    for u in (0.0, 0.1, 0.5, 0.9, 1.0):
        v = curve(kind, u, 8.0)
        assert 0.0 <= v <= 1.0
        assert math.isclose(uncurve(kind, v, 8.0), u, abs_tol=1e-12)
    assert curve(kind, 0.0, 8.0) == 0.0 and math.isclose(curve(kind, 1.0, 8.0), 1.0)
    if kind == "exponential":
        assert curve(kind, 0.5, 8.0) < 0.5  # fine control at the low end
    if kind == "log":
        assert curve(kind, 0.5, 8.0) > 0.5


def test_absolute_cc_ranges_invert_and_clamp(controls: Controls) -> None:
    m = mapping(controls, to="level")
    m.absolute(127, controls, "midi")
    assert settled(controls.bus)["level"] == 10.0
    m = mapping(controls, to="level", in_min=20, in_max=100, out_min=2, out_max=4, invert=True)
    m.absolute(20, controls, "midi")
    assert settled(controls.bus)["level"] == 4.0
    m.absolute(0, controls, "midi")  # below in_min: clamped to the end
    assert settled(controls.bus)["level"] == 4.0
    m.absolute(60, controls, "midi")
    assert math.isclose(settled(controls.bus)["level"], 3.0)
    m.absolute(float("nan"), controls, "midi")
    assert math.isclose(settled(controls.bus)["level"], 3.0)


def test_toggle_trigger_and_actions(controls: Controls) -> None:
    toggle = mapping(controls, midi=MidiSource("note", 36), to="glow", curve="toggle")
    for expected in (True, False, True):
        toggle.press(True, controls, "midi")
        toggle.press(False, controls, "midi")
        assert settled(controls.bus)["glow"] is expected
    fire = mapping(controls, to="flash", curve="trigger")
    for x in (127, 127, 0, 127):  # held down counts once; a new press fires again
        fire.absolute(x, controls, "midi")
    assert controls.bus.snapshot().count("flash") == 2
    step = mapping(controls, midi=MidiSource("note", 37), to="keyframe:next")
    for _ in range(5):
        step.press(True, controls, "midi")
        step.press(False, controls, "midi")
    # Relative writes, for motion to resolve from where it is; the value stays the last set one.
    assert controls.bus.snapshot().step("keyframe").offset == 5
    assert settled(controls.bus)["keyframe"] == 0


def test_relative_steps_follow_the_curve_from_the_current_value(controls: Controls) -> None:
    m = mapping(controls, to="level", encoder="offset64", step=0.1)
    m.relative(2, controls, "midi", 1 / 128)
    assert math.isclose(settled(controls.bus)["level"], 7.0)
    m.relative(-100, controls, "midi", 1 / 128)
    assert settled(controls.bus)["level"] == 0.0


def test_pickup_waits_until_the_knob_reaches_the_value(controls: Controls) -> None:
    controls.write("level", 5.0, "osc", "osc")  # someone else set it: the knob is out of step
    m = mapping(controls, "pickup", to="level")
    m.absolute(10, controls, "midi")
    m.absolute(30, controls, "midi")
    assert settled(controls.bus)["level"] == 5.0  # knob far below 5.0 (=63.5): ignored
    m.absolute(70, controls, "midi")  # passes the value: picked up
    assert math.isclose(settled(controls.bus)["level"], 70 / 127 * 10)
    m.absolute(20, controls, "midi")  # in step now: follows directly
    assert math.isclose(settled(controls.bus)["level"], 20 / 127 * 10)


def test_scale_takeover_converges_without_a_jump(controls: Controls) -> None:
    controls.write("level", 8.0, "osc", "osc")
    m = mapping(controls, "scale", to="level")
    m.absolute(0, controls, "midi")  # first position: nothing known about direction yet
    assert settled(controls.bus)["level"] == 8.0
    values = []
    for x in [*range(10, 128, 10), 127]:
        m.absolute(x, controls, "midi")
        values.append(settled(controls.bus)["level"])
    assert all(b >= a for a, b in zip(values, values[1:], strict=False))  # only ever moves with the knob
    assert values[0] - 8.0 < 0.5  # a small first step, not a jump to the knob's 0.8
    assert values[-1] == 10.0  # both reach the end together
    m.absolute(60, controls, "midi")  # in step from there on
    assert math.isclose(settled(controls.bus)["level"], 60 / 127 * 10)


def test_scene_crossfades_floats_and_sets_the_rest_at_once(controls: Controls) -> None:
    assert controls.recall_scene(SCENES, "dim", "osc")
    now = settled(controls.bus)
    assert now["glow"] is True and now["keyframe"] == 2 and now["level"] == 5.0
    halfway = controls.clock() + 0.1
    controls.fader.tick(halfway)
    assert 2.0 < settled(controls.bus)["level"] < 4.0
    controls.fader.tick(halfway + 0.2)
    assert settled(controls.bus)["level"] == 1.0
    assert not controls.recall_scene(SCENES, "nope", "osc") and controls.recall_scene(SCENES, 1, "osc")
    assert settled(controls.bus)["level"] == 9.0  # crossfade 0: at once
    assert controls.scene_name == "bright"
    assert controls.recall_scene(SCENES, "next", "osc") and controls.scene_name == "dim"


def test_a_direct_write_ends_a_fade_and_smoothing_glides(controls: Controls) -> None:
    controls.fade("level", 0.0, 10.0, source="scene", writer="scene")
    controls.write("level", 7.0, "midi", "knob")
    controls.fader.tick(controls.clock() + 20)
    assert settled(controls.bus)["level"] == 7.0
    m = mapping(controls, to="level", smoothing=0.05)
    m.absolute(0, controls, "midi")
    t = time.monotonic()
    controls.fader.tick(t + 0.05)  # one time constant: 63 % of the way
    assert math.isclose(settled(controls.bus)["level"], 7.0 * math.exp(-1), rel_tol=0.05)
    controls.fader.tick(t + 1.0)
    assert settled(controls.bus)["level"] == 0.0
