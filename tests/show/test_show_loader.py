"""Show files: valid ones load into frozen Shows; each kind of mistake is one precise line."""

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from installation.errors import UserError
from installation.show.loader import find_line, load_show, parse_show, read_section
from installation.show.schema import Number, Section, setting

ROOT = Path(__file__).resolve().parents[2]


def error_of(tmp_path: Path, text: str) -> str:
    path = tmp_path / "piece.toml"
    path.write_text(text)
    with pytest.raises(UserError) as caught:
        load_show(path)
    message = str(caught.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    "name", ["default", "gallery_loop", "midi_performance", "touchdesigner_osc", "audio_reactive"]
)
def test_shipped_shows_load(name):
    show = load_show(ROOT / "shows" / f"{name}.toml")
    assert show.info.name and show.model.path == "default"
    assert {"speed", "psi", "seed", "keyframe"} <= {p.name for p in show.parameters}


def test_defaults_and_values(tmp_path):
    show = parse_show(
        '[motion]\nkeyframes = [5, 6]\nperiod_seconds = 12\n[display]\nbackground = "#ff8000"\n',
        tmp_path / "s.toml",
    )
    assert show.motion.keyframes == (5, 6) and show.motion.period_seconds == 12.0
    assert show.display.background == (255, 128, 0)
    assert show.render.batch == "auto" and show.display.allow_quit is True
    with pytest.raises(dataclasses.FrozenInstanceError):
        show.motion.period_seconds = 1.0


def test_unknown_key_names_its_line(tmp_path):
    message = error_of(tmp_path, '[show]\nname = "x"\n\n[motion]\nkeyframes = [1]\nperiod_secs = 3\n')
    assert message.startswith(f"{tmp_path / 'piece.toml'}:6: motion.period_secs: unknown setting")
    assert "period_seconds" in message  # the list of what is allowed


def test_unknown_section(tmp_path):
    message = error_of(tmp_path, '[show]\nname = "x"\n[moton]\npath = "loop"\n')
    assert ":3: moton: unknown section" in message


def test_wrong_type(tmp_path):
    message = error_of(tmp_path, '[motion]\nperiod_seconds = "fast"\n')
    assert message.endswith(':2: motion.period_seconds: expected a number from 0.1 to 1000000, got "fast"')
    message = error_of(tmp_path, "[display]\nfullscreen = 1\n")
    assert "display.fullscreen: expected true or false, got 1" in message


def test_out_of_range(tmp_path):
    message = error_of(tmp_path, "[render]\n\nbatch = 500\n")
    assert ':3: render.batch: expected "auto" or an integer from 1 to 64, got 500' in message
    message = error_of(tmp_path, "[motion]\nkeyframes = [1, -2]\n")
    assert ":2: motion.keyframes[1]: expected an integer from 0 to 4294967295" in message


def test_missing_model_file(tmp_path):
    message = error_of(tmp_path, '[model]\npath = "models/nope.pkl"\n')
    assert f":2: model.path: file not found: {tmp_path / 'models' / 'nope.pkl'}" in message


def test_model_path_is_relative_to_the_show(tmp_path):
    (tmp_path / "m.pkl").write_bytes(b"x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "s.toml").write_text('[model]\npath = "../m.pkl"\n')
    assert load_show(tmp_path / "sub" / "s.toml").model.path == tmp_path / "m.pkl"


def test_keyframe_files(tmp_path):
    np.save(tmp_path / "z.npy", np.zeros((2, 8), np.float32))
    np.savez(tmp_path / "w.npz", w=np.zeros((1, 6, 8), np.float32))
    np.savez(tmp_path / "none.npz", x=np.zeros(3))
    show = parse_show(
        '[motion]\nkeyframes = [1, "z.npy", "w.npz"]\ninterpolation = "lerp"\n', tmp_path / "s.toml"
    )
    assert show.motion.keyframes == (1, tmp_path / "z.npy", tmp_path / "w.npz")
    message = error_of(tmp_path, '[motion]\nkeyframes = [1, "w.npz"]\ninterpolation = "slerp"\n')
    assert "motion.keyframes[1]: w.npz holds w vectors; interpolation = slerp needs z" in message
    message = error_of(tmp_path, '[motion]\nkeyframes = ["none.npz"]\n')
    assert "motion.keyframes[0]: none.npz holds neither 'z' nor 'w' (it has x)" in message
    message = error_of(tmp_path, '[motion]\npath = "loop"\nkeyframes = ["w.npz"]\n')
    assert "path = loop needs z" in message


def test_cross_field_checks(tmp_path):
    assert "motion.keyframe_classes: expected one class per keyframes entry (2), got 1" in error_of(
        tmp_path, "[motion]\nkeyframes = [1, 2]\nkeyframe_classes = [0]\n"
    )
    assert "render.max_resolution: expected 0 or a power of two" in error_of(
        tmp_path, "[render]\nmax_resolution = 100\n"
    )
    assert "needs at least one keyframe" in error_of(tmp_path, "[motion]\nkeyframes = []\n")
    assert "render.canvas: canvas '16/9': expected an aspect" in error_of(
        tmp_path, '[render]\ncanvas = "16/9"\n'
    )


def test_parameters(tmp_path):
    show = parse_show(
        '[parameters.psi]\ndefault = 0.5\n[parameters.glow]\nmax = 3\nsmoothing = 0.2\nunit = "lux"\n'
        '[parameters.flash]\ntype = "trigger"\n[motion]\ndirections = "sefa"\ndirection_count = 2\n',
        tmp_path / "s.toml",
    )
    psi = show.parameter("psi")
    assert (psi.default, psi.max, psi.smoothing) == (0.5, 2.0, 0.5)  # only the given key changed
    glow = show.parameter("glow")
    assert (glow.type, glow.min, glow.max, glow.default, glow.unit) == ("float", 0.0, 3.0, 0.0, "lux")
    assert show.parameter("flash").type == "trigger"
    names = [p.name for p in show.parameters]
    assert "direction_1" in names and "direction_2" not in names
    unused = parse_show("[motion]\ndirection_count = 2\n", tmp_path / "t.toml")  # directions = "none"
    assert not any(p.name.startswith("direction_") for p in unused.parameters)


def test_parameter_mistakes(tmp_path):
    assert ":2: parameters.psi.type: psi is a built-in float parameter" in error_of(
        tmp_path, '[parameters.psi]\ntype = "int"\n'
    )
    assert ":3: parameters.glow.max: max (0) must be above min (1)" in error_of(
        tmp_path, "[parameters.glow]\nmin = 1\nmax = 0\n"
    )
    # A range that excludes the built-in default: reported at the table, where the fix goes.
    assert ":1: parameters.speed.default: expected a number from 0 to 0.5, got 1.0" in error_of(
        tmp_path, "[parameters.speed]\nmax = 0.5\n"
    )
    assert "parameters.steps.smoothing: only float parameters are smoothed" in error_of(
        tmp_path, '[parameters.steps]\ntype = "int"\nmax = 8\nsmoothing = 1\n'
    )
    assert "parameters.2x: a parameter name is letters" in error_of(tmp_path, "[parameters.2x]\nmax = 2\n")


def test_not_toml_and_not_found(tmp_path):
    assert "not valid TOML" in error_of(tmp_path, "[motion\n")
    with pytest.raises(UserError, match="show file not found"):
        load_show(tmp_path / "absent.toml")


def test_find_line():
    text = '[show]\nname = "x"\n\n[motion]  # comment\nkeyframes = [\n  1,\n]\n[parameters.glow]\nmax = 2\n'
    assert find_line(text, ("motion",)) == 4
    assert find_line(text, ("motion", "keyframes[1]")) == 5
    assert find_line(text, ("parameters", "glow", "max")) == 9
    assert find_line(text, ("parameters", "glow", "min")) == 8  # absent: its table
    assert find_line("motion.period_seconds = 3\n", ("motion", "period_seconds")) == 1
    arrays = '[[mappings]]\nto = "a"\n\n[[mappings]]\nto = "b"\ncurve = "log"\n'
    assert find_line(arrays, ("mappings[1]", "curve")) == 6
    assert find_line(arrays, ("mappings[1]", "invert")) == 4
    assert find_line(arrays, ("mappings[0]", "to")) == 2


@dataclasses.dataclass(frozen=True)
class Cue:
    name: str = ""
    level: float = setting(0.5, Number(0, 1), "how bright")


def test_named_and_array_sections(tmp_path):
    named = Section("cues", Cue, "cues by name", named=True)
    cues = read_section(named, {"dawn": {"level": 0.25}, "dusk": {}}, tmp_path)
    assert cues == (Cue("dawn", 0.25), Cue("dusk", 0.5))
    listed = Section("steps", Cue, "cues in order", array=True)
    assert read_section(listed, [{"level": 1}, {}], tmp_path) == (Cue("", 1.0), Cue("", 0.5))
    assert read_section(listed, None, tmp_path) == ()
    for section, raw, key in [
        (listed, [{}, {"level": 2}], ("steps[1]", "level")),
        (named, {"dawn": {"lvl": 1}}, ("cues", "dawn", "lvl")),
        (listed, {"level": 1}, ("steps",)),
    ]:
        with pytest.raises(Exception) as caught:
            read_section(section, raw, tmp_path)
        assert caught.value.key == key
