"""What the gallery plays when the show file or its model is broken."""

from __future__ import annotations

from installation.gallery.showfile import DEFAULT_SHOW, resolve, stand_in_path, without_model
from installation.show.loader import load_show

SHOW = """[show]
name = "piece"

[model]
path = "model.pkl"   # a checkpoint next to the show

[motion]
keyframes = [1, 2]
"""


def test_a_good_show_is_played_as_written(tmp_path) -> None:
    (tmp_path / "model.pkl").write_bytes(b"whatever: only its presence is checked here")
    path = tmp_path / "show.toml"
    path.write_text(SHOW)
    resolved = resolve(path)
    assert resolved.original and resolved.path == path and resolved.text == SHOW
    assert not stand_in_path(path).exists()


def test_a_missing_model_gives_the_default_model_and_a_problem(tmp_path) -> None:
    path = tmp_path / "show.toml"
    path.write_text(SHOW)
    resolved = resolve(path)
    assert resolved.show.model.path == "default" and resolved.show.info.name == "piece"
    assert resolved.path == stand_in_path(path) and "model.path: file not found" in resolved.problems[0]
    assert "embedded default model" in resolved.problems[0]
    assert load_show(resolved.path).motion.keyframes == (1, 2)  # the renderer reads the stand-in


def test_a_broken_edit_falls_back_to_the_last_good_version(tmp_path) -> None:
    path = tmp_path / "show.toml"
    path.write_text('[show]\nname = "good"\n')
    good = resolve(path).text
    path.write_text("[show]\nname = 3\n")
    resolved = resolve(path, good)
    assert resolved.show.info.name == "good" and "last version that loaded" in resolved.problems[0]
    assert "show.name: expected a string, got 3" in resolved.problems[0]


def test_with_nothing_else_the_default_show(tmp_path) -> None:
    path = tmp_path / "show.toml"
    path.write_text("not toml [")
    resolved = resolve(path)
    assert resolved.path == DEFAULT_SHOW and "default show" in resolved.problems[0]
    missing = resolve(tmp_path / "nowhere.toml")
    assert missing.path == DEFAULT_SHOW and "cannot read the show file" in missing.problems[0]


def test_only_a_plain_model_line_is_rewritten() -> None:
    assert (
        without_model('[model]\npath = "a.pkl"\n')
        == '[model]\npath = "default"  # gallery: the model named here could not be used\n'
    )
    assert without_model('model = { path = "a.pkl" }\n') is None
    assert without_model('[show]\nname = "x"\n') is None
