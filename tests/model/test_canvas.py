"""A native canvas of another shape: the constant (and every noise buffer) grown, nothing stretched."""

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from installation.bench.canvas import picture_measures
from installation.canvas import canvas_cells
from installation.errors import UserError
from installation.model.canvas import extend_field, with_canvas
from installation.model.loading import load_model
from installation.motion.noise import NoiseLoop
from tests.model.helpers import tiny_generator
from tests.sinks.show_files import tiny_checkpoint

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("spec", "native", "cell_px", "cells"),
    [
        ("", (4, 4), 256, (4, 4)),
        ("16:9", (4, 4), 256, (4, 7)),  # 1792x1024: aspect 1.75, the nearest whole cell to 1.78
        ("9:16", (4, 4), 256, (7, 4)),
        ("48:9", (4, 4), 64, (4, 21)),  # triple-wide
        ("1:1", (4, 4), 8, (4, 4)),
        ("1792x1024", (4, 4), 256, (4, 7)),  # model pixels: cells of 256 px (a 1024 model)
        ("100x60", (4, 4), 8, (8, 12)),  # cells of 8 px (a 32 model), to the nearest
        ("16:9", (4, 6), 128, (4, 7)),  # a fork with a wide constant keeps its height
    ],
)
def test_a_canvas_is_the_nearest_whole_number_of_cells(spec, native, cell_px, cells):
    assert canvas_cells(spec, native, cell_px) == cells


@pytest.mark.parametrize(
    ("spec", "message"), [("wide", "expected an aspect"), ("0:9", "above 0"), ("1000:1", "at most 64")]
)
def test_a_bad_canvas_is_one_line(spec, message):
    with pytest.raises(UserError, match=message):
        canvas_cells(spec, (4, 4), 8)


def test_tile_repeats_the_constant_and_mirror_reflects_it_around_the_original():
    field = torch.arange(4.0)[None].expand(4, 4)  # every row 0 1 2 3
    assert extend_field(field, 4, 7, "tile")[0].tolist() == [3, 0, 1, 2, 3, 0, 1]
    assert extend_field(field, 4, 7, "mirror")[0].tolist() == [0, 0, 1, 2, 3, 3, 2]
    assert extend_field(field.T, 7, 4, "mirror")[:, 0].tolist() == [0, 0, 1, 2, 3, 3, 2]


@pytest.fixture(scope="module")
def G():
    return tiny_generator(resolution=32)


def latents(G, n=2):
    with torch.no_grad():
        return G.mapping(torch.randn(n, G.z_dim, generator=torch.Generator().manual_seed(5)))


def test_the_model_s_own_shape_is_the_model_itself(G):
    assert with_canvas(G, "", "tile") is G and with_canvas(G, "1:1", "mirror") is G


@pytest.mark.parametrize("fill", ["tile", "mirror"])
def test_a_canvas_model_renders_wide_frames_at_every_resolution_and_noise(G, fill):
    wide = with_canvas(G, "16:9", fill)
    assert wide.config.init_size == (4, 7) and wide.config.extra["canvas_fill"] == fill
    const = wide.synthesis.b4.const
    assert torch.equal(const[:, :, 1:5], G.synthesis.b4.const)  # the original in the middle
    noise = wide.synthesis.b32.conv1.noise_const
    assert noise.shape == (32, 56) and torch.equal(noise[:, 8:40], G.synthesis.b32.conv1.noise_const)
    ws = latents(G)
    with torch.no_grad():
        assert wide.synthesis(ws).shape == (2, 3, 32, 56)
        assert wide.synthesis(ws, stop_res=8).shape == (2, 3, 8, 14)
        assert wide.synthesis(ws, noise_mode="random").shape == (2, 3, 32, 56)
        fields = NoiseLoop.for_generator(wide).at(np.array([0.1, 0.6]))
        assert fields["b32.conv0"].shape == (2, 1, 32, 56)
        assert torch.isfinite(wide.synthesis(ws, noise=fields)).all()


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a - a.mean(), b - b.mean()
    return float((a * b).sum() / np.sqrt((a * a).sum() * (b * b).sum()))


def test_a_trained_model_paints_the_same_subject_unstretched_in_the_middle(shared_fixtures):
    """The middle four cells of a 16:9 canvas hold the square picture at its own scale: closer to
    it than the square picture stretched to the canvas would be."""
    G = load_model(str(shared_fixtures / "nv_digits32_trained_redacted.pkl"))
    z = torch.randn(8, G.z_dim, generator=torch.Generator().manual_seed(1))
    c = torch.eye(G.c_dim)[torch.arange(8) % G.c_dim]
    with torch.no_grad():
        ws = G.mapping(z, c, truncation_psi=0.7)
        square = G.synthesis(ws).numpy()
        wide = with_canvas(G, "16:9").synthesis(ws).numpy()
    assert wide.shape == (8, 3, 32, 56)
    middle = wide[..., 8:40]
    stretched = [cv2.resize(s.transpose(1, 2, 0), (56, 32)).transpose(2, 0, 1)[..., 12:44] for s in square]
    kept = [_corr(m, s) for m, s in zip(middle, square, strict=True)]
    if_stretched = [_corr(m, s) for m, s in zip(middle, stretched, strict=True)]
    assert min(kept) > 0.85 and np.mean(kept) > np.mean(if_stretched) + 0.05, (kept, if_stretched)


def test_run_py_generate_canvas_writes_pictures_of_the_canvas(tmp_path):
    model = tiny_checkpoint(tmp_path)
    command = [sys.executable, str(ROOT / "run.py"), "generate", str(model), "--seeds", "0-1"]
    done = subprocess.run(
        [*command, "--canvas", "9:16", "--outdir", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "canvas 9:16: 32x56 px (7x4 cells" in done.stdout
    for seed in (0, 1):
        assert cv2.imread(str(tmp_path / "out" / f"seed{seed:04d}.png")).shape == (56, 32, 3)
    bad = subprocess.run([*command, "--canvas", "wide"], capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0 and bad.stderr.strip().count("\n") == 0 and "canvas 'wide'" in bad.stderr


def test_the_picture_measures_see_a_repeat_and_a_mirror():
    square = np.random.default_rng(0).normal(size=(2, 3, 8, 8))
    tiled = extend_field(torch.as_tensor(square), 8, 16, "tile", cell=2).numpy()
    mirrored = extend_field(torch.as_tensor(square), 8, 16, "mirror", cell=2).numpy()
    on_tiles, on_mirror = (picture_measures(x, square, (4, 4)) for x in (tiled, mirrored))
    assert on_tiles["repeat"] > 0.99 and on_mirror["mirror"] > 0.99 and on_mirror["repeat"] < 0.5
    assert on_tiles["kept"] > 0.99 and on_mirror["kept"] > 0.99


def test_run_py_bench_canvas_writes_each_fill_s_row(tmp_path):
    model, report = tiny_checkpoint(tmp_path), tmp_path / "canvas.json"
    command = [sys.executable, str(ROOT / "run.py"), "bench", str(model), "--canvas", "16:9"]
    options = ["--canvas-seeds", "2", "--repeats", "1", "--device", "cpu", "--json", str(report)]
    done = subprocess.run([*command, *options], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    rows = json.loads(report.read_text())["rows"]
    assert [(r["model"], r["size"]) for r in rows] == [
        ("square", "32x32"),
        ("tile", "56x32"),
        ("mirror", "56x32"),
    ]
    assert all(r["ms_per_frame"] > 0 for r in rows) and {"seam", "repeat", "mirror", "kept"} <= set(rows[1])
