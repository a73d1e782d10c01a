"""Model mixing and morphing: the ends are the two models exactly, spans take only their
layers, other architectures are refused in one line, and `run.py mix` writes a loadable file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from installation.backends import TorchEagerBackend
from installation.engine.latents import render_latents
from installation.errors import UserError
from installation.model.loading import load_model
from installation.model.mixing import ModelMorph, check_same_architecture, mixed_state, parse_layers
from installation.motion.source import ShowSource
from installation.params.bus import ParameterBus
from installation.show.loader import parse_show
from tests.checkpoints.ckpt_writers import random_state, small_config, write_nvlabs_pickle

ROOT = Path(__file__).resolve().parents[2]
CHANNELS = {4: 32, 8: 24, 16: 16, 32: 16}


def _checkpoint(folder: Path, name: str, seed: int, channels=CHANNELS) -> Path:
    config = small_config(img_resolution=32, channels=channels)
    path = folder / name
    write_nvlabs_pickle(path, random_state(config, seed=seed), config)
    return path


@pytest.fixture
def pair(tmp_path: Path):
    return _checkpoint(tmp_path, "a.pkl", 1), _checkpoint(tmp_path, "b.pkl", 2)


def _show(folder: Path, mix_with: str, layers: str = "all"):
    text = f"""
[model]
path = "a.pkl"
mix_with = "{mix_with}"
mix_layers = "{layers}"
[render]
device = "cpu"
precision = "fp32"
[motion]
keyframes = [1, 2]
"""
    return parse_show(text, folder / "show.toml")


def _render(show, G, amount: float, other=None) -> torch.Tensor:
    """Two frames of the show with model_mix at `amount`; with `other`, the same ws rendered by
    that generator alone."""
    bus = ParameterBus(show.parameters, clock=lambda: 0.0)
    bus.set("model_mix", amount)
    source = ShowSource(show, G, bus)
    with torch.inference_mode():
        latents = source.latents([20.0, 20.3])
        if other is not None:
            return TorchEagerBackend(other, "cpu", "fp32").render(latents.ws)
        return render_latents(TorchEagerBackend(G, "cpu", "fp32"), latents, None)


def test_a_morph_at_0_and_1_is_model_a_and_model_b_exactly(pair, tmp_path):
    a_path, b_path = pair
    A, B = load_model(str(a_path)), load_model(str(b_path))
    show = _show(tmp_path, "b.pkl")
    only_b = _render(show, A, 0.0, other=B)  # B's synthesis on the show's ws (A's mapping)
    assert torch.equal(_render(show, A, 0.0), _render(_show(tmp_path, "a.pkl"), A, 0.0))
    assert torch.equal(_render(show, A, 1.0), only_b)
    halfway = _render(show, A, 0.5)
    assert not torch.equal(halfway, only_b) and not torch.equal(halfway, _render(show, A, 0.0))
    assert torch.equal(
        A.state_dict()["synthesis.b32.conv1.weight"], load_model(str(a_path)).synthesis.b32.conv1.weight
    )


def test_morphing_between_equal_weights_changes_no_pixel(pair, tmp_path):
    a_path, _ = pair
    (tmp_path / "copy.pkl").write_bytes(a_path.read_bytes())
    A = load_model(str(a_path))
    show = _show(tmp_path, "copy.pkl")
    assert torch.equal(_render(show, A, 0.5), _render(show, A, 0.0))
    assert ModelMorph(A, load_model(str(tmp_path / "copy.pkl")), parse_layers("all")).identical


def test_a_span_takes_only_its_layers(pair):
    A, B = (load_model(str(p)) for p in pair)
    coarse = mixed_state(A, B, 1.0, parse_layers("coarse"))
    b, a = B.state_dict(), A.state_dict()
    assert torch.equal(coarse["synthesis.b8.conv0.weight"], b["synthesis.b8.conv0.weight"])
    assert torch.equal(coarse["mapping.fc0.weight"], a["mapping.fc0.weight"])  # the W space stays A's
    assert torch.equal(coarse["synthesis.b16.conv0.weight"], a["synthesis.b16.conv0.weight"])
    fine = mixed_state(A, B, 0.25, parse_layers("16-32"))
    expected = torch.lerp(a["synthesis.b32.torgb.weight"], b["synthesis.b32.torgb.weight"], 0.25)
    assert torch.equal(fine["synthesis.b32.torgb.weight"], expected)
    assert torch.equal(fine["synthesis.b4.const"], a["synthesis.b4.const"])


def test_other_architectures_are_refused_in_one_line(tmp_path, pair):
    other = _checkpoint(tmp_path, "wide.pkl", 3, {4: 32, 8: 32, 16: 16, 32: 16})
    A, W = load_model(str(pair[0])), load_model(str(other))
    with pytest.raises(
        UserError, match=r"^cannot mix a.pkl and wide.pkl: different architectures \(channels differ\)$"
    ):
        check_same_architecture(A, W, "a.pkl", "wide.pkl")
    with pytest.raises(UserError, match="different architectures"):
        ShowSource(_show(tmp_path, "wide.pkl"), A, ParameterBus(_show(tmp_path, "wide.pkl").parameters))
    with pytest.raises(UserError, match="this model's blocks are 4-32 px, none in between"):
        mixed_state(A, load_model(str(pair[1])), 1.0, parse_layers("fine"))
    with pytest.raises(UserError, match="mix_layers: expected"):
        _show(tmp_path, "b.pkl", layers="lots")


def test_run_py_mix_writes_a_file_the_engine_loads(pair, tmp_path):
    a_path, b_path = pair
    out = tmp_path / "mixed.pkl"
    done = subprocess.run(
        [sys.executable, "run.py", "mix", str(a_path), str(b_path), "--layers", "middle", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    mixed, A, B = load_model(str(out)), load_model(str(a_path)), load_model(str(b_path))
    assert mixed.config == A.config and mixed.config.extra["format"] == "installation"
    expected = mixed_state(A, B, 1.0, parse_layers("middle"))
    for name, tensor in mixed.state_dict().items():
        assert torch.equal(tensor, expected[name]), name
    refused = subprocess.run(
        [
            sys.executable,
            "run.py",
            "mix",
            str(a_path),
            str(_checkpoint(tmp_path, "w.pkl", 3, {4: 32, 8: 32, 16: 16, 32: 16})),
            "--out",
            str(tmp_path / "x.pkl"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode != 0 and not (tmp_path / "x.pkl").exists()
    assert refused.stderr.strip().splitlines()[-1].endswith("different architectures (channels differ)")


def test_run_py_mix_writes_rosinalitys_layout_that_loads_back_to_the_same_pixels(pair, tmp_path, capsys):
    from installation.cli import main
    from tests.checkpoints.ckpt_writers import rosinality_g_ema

    a_path, b_path = pair
    out = tmp_path / "mixed.pt"
    args = ["mix", str(a_path), str(b_path), "--layers", "coarse", "--amount", "0.4", "--out", str(out)]
    assert main([*args, "--format", "rosinality"]) == 0
    assert "no activation clamp" in capsys.readouterr().out  # these models clamp at 256
    A, B = load_model(str(a_path)), load_model(str(b_path))
    A.load_state_dict(mixed_state(A, B, 0.4, parse_layers("coarse")))
    written = torch.load(out, weights_only=True)  # plain tensors only
    assert set(written) == {"g_ema", "latent_avg"}
    expected = rosinality_g_ema(A.state_dict(), A.config)  # the spec's layout, written independently
    assert set(written["g_ema"]) == set(expected)
    assert all(torch.equal(written["g_ema"][n], t) for n, t in expected.items())
    loaded = load_model(str(out))
    assert loaded.config.extra["format"] == "rosinality"
    z = torch.randn(3, A.z_dim, generator=torch.Generator().manual_seed(5))
    with torch.inference_mode():
        assert torch.equal(loaded(z, None, noise_mode="const"), A(z, None, noise_mode="const"))


def test_a_model_rosinality_cannot_hold_is_refused_in_one_line(tmp_path, capsys):
    from installation.cli import main

    config = small_config(img_resolution=32, channels=CHANNELS, c_dim=4)
    a, b = tmp_path / "a.pkl", tmp_path / "b.pkl"
    for seed, path in enumerate((a, b)):
        write_nvlabs_pickle(path, random_state(config, seed=seed), config)
    out = tmp_path / "x.pt"
    assert main(["mix", str(a), str(b), "--out", str(out), "--format", "rosinality"]) == 2
    assert not out.exists()
    assert "conditioning (c_dim) is 4; rosinality's generator has only 0" in capsys.readouterr().err


def test_a_morph_moving_between_amounts_renders_each_mix(pair):
    """The morph rewrites its copy in place and mixes its demodulation sums from kept terms: each
    amount renders as a generator loaded with that mix, and the way back to 0 is A exactly."""
    A, B = (load_model(str(p)) for p in pair)
    morph = ModelMorph(A, B, parse_layers("all"))
    ws = A.mapping(torch.randn(2, A.z_dim), None)
    with torch.inference_mode():
        plain = A.synthesis(ws, noise_mode="const")
        for amount in (0.3, 0.7, 0.3):
            mixed = type(A).from_state_dict(A.config, mixed_state(A, B, amount, parse_layers("all")))
            want = mixed.synthesis(ws, noise_mode="const")
            got = morph.at(amount).synthesis(ws, noise_mode="const")
            assert (got - want).abs().max() < 1e-5 * want.abs().max()
            assert (got - plain).abs().max() > 0.01
        assert torch.equal(morph.at(0.0).synthesis(ws, noise_mode="const"), plain)
