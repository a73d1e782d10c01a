"""A running show offers only the parameters that act on its model: rotate and translate move a
StyleGAN3 model's input field, and a StyleGAN2 model has none."""

from pathlib import Path

import pytest

from installation.live import LiveShow
from installation.params.builtin import INPUT_TRANSFORM, MODEL_MIX
from installation.show.loader import parse_show
from tests.gallery.helpers import small_model


def loaded_bus_names(model: Path, tmp_path: Path) -> set[str]:
    path = tmp_path / "show.toml"
    text = f'[model]\npath = "{model}"\n'
    path.write_text(text)
    live = LiveShow(parse_show(text, path), backend="torch").start()
    try:
        live.wait_until_loaded(120)
        assert live.error is None, live.error
        return set(live.bus.specs)
    finally:
        live.stop()


def test_a_stylegan2_show_offers_no_input_transform(tmp_path: Path) -> None:
    small_model(tmp_path / "model.pkl")
    names = loaded_bus_names(tmp_path / "model.pkl", tmp_path)
    assert "psi" in names and not names & INPUT_TRANSFORM
    assert MODEL_MIX not in names  # no second model named: nothing to mix


@pytest.mark.parametrize("config", ["t", "r"])
def test_a_stylegan3_show_offers_rotate_and_translate(tmp_path: Path, shared_fixtures, config) -> None:
    names = loaded_bus_names(shared_fixtures / f"nv_sg3{config}_32_redacted.pkl", tmp_path)
    assert INPUT_TRANSFORM <= names
