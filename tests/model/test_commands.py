"""`run.py generate` and `run.py inspect` end to end, as a user runs them."""

import json
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import ROOT


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "run.py"), *args], capture_output=True, text=True, timeout=300
    )


@pytest.mark.parametrize(
    ("backend", "batch"),
    # a graph backend with every seed in one batch: one graph to build
    [("torch", "3"), ("onnxruntime-cpu", "4")],
)
def test_generate_raw_matches_nvidia_reference(shared_fixtures, tmp_path, backend, batch):
    pkl = shared_fixtures / "nv_ada_64_redacted.pkl"
    raw = tmp_path / "raw.npz"
    result = run_cli(
        "generate",
        str(pkl),
        "--seeds",
        "0-3",
        "--psi",
        "0.5",
        "--cutoff",
        "4",
        "--outdir",
        str(tmp_path / "png"),
        "--raw",
        str(raw),
        "--batch",
        batch,
        "--backend",
        backend,
    )
    assert result.returncode == 0, result.stderr
    assert (f"rendering with {backend}, fp32" in result.stdout) == (backend != "torch"), result.stdout
    ref = np.load(shared_fixtures / "nv_ada_64.ref.npz")
    got = np.load(raw)
    assert got["img"].shape == (4, 3, 64, 64) and got["img"].dtype == np.float32
    assert np.abs(got["ws"] - ref["ws_psi0.5_cutoff4"]).max() < 1e-4
    assert np.abs(got["img"] - ref["img_psi0.5_cutoff4_const"]).max() < 1e-4
    assert sorted(p.name for p in (tmp_path / "png").iterdir()) == [f"seed{s:04d}.png" for s in range(4)]


def test_generate_stylegan3_rotated_and_translated_matches_nvidia(shared_fixtures, tmp_path):
    pkl = shared_fixtures / "nv_sg3r_32_redacted.pkl"
    raw = tmp_path / "raw.npz"
    args = ("--psi", "0.7", "--outdir", str(tmp_path / "png"), "--raw", str(raw))
    result = run_cli("generate", str(pkl), *args, "--rotate", "10", "--translate", "0.1,-0.05")
    assert result.returncode == 0, result.stderr
    ref = np.load(shared_fixtures / "nv_sg3r_32.ref.npz")
    assert np.abs(np.load(raw)["img"] - ref["img_psi0.7_transform"]).max() < 1e-4
    info = json.loads(run_cli("inspect", str(pkl), "--json").stdout)
    assert info["architecture"] == "stylegan3 config R" and info["radial_filters"] is True
    assert info["layers"]["L5_52_128"].startswith("52 px 128 ch 1x1 up 4 down 2")
    sg2 = run_cli("generate", "--rotate", "5", "--outdir", str(tmp_path / "sg2"))
    assert sg2.returncode != 0 and sg2.stderr.count("\n") == 1 and "need a StyleGAN3 model" in sg2.stderr


def test_inspect_json_and_contact_sheet_of_default_model(tmp_path):
    import cv2

    sheet = tmp_path / "sheet.png"
    result = run_cli("inspect", "--json", "--grid", "4", "--out", str(sheet))
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["format"] == "embedded default" and info["resolution"] == 256 and info["num_ws"] == 14
    assert info["fp16_blocks"] == [32, 64, 128, 256] and info["conv_clamp"] == 256.0
    assert info["resample_filter"] == [1, 3, 3, 1]
    image = cv2.imread(str(sheet))
    assert image.shape == (512, 512, 3) and image.std() > 10


def test_user_mistakes_are_one_line_errors(tmp_path):
    missing = run_cli("generate", str(tmp_path / "nope.pkl"))
    text = tmp_path / "notes.pkl"
    text.write_text("hello")
    not_model = run_cli("inspect", str(text))
    bad_seeds = run_cli("generate", "--seeds", "x-y")
    for result in (missing, not_model, bad_seeds):
        assert result.returncode == 2
        assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "no such file" in missing.stderr and "not a model checkpoint" in not_model.stderr


def test_bench_against_nvidia_needs_a_real_checkout(shared_fixtures, tmp_path):
    pkl = shared_fixtures / "nv_sg3t_32_redacted.pkl"
    result = run_cli("bench", str(pkl), "--nvidia-repo", str(tmp_path), "--json", str(tmp_path / "b.json"))
    assert result.returncode != 0 and result.stderr.count("\n") == 1
    assert "not a checkout of NVIDIA's stylegan2-ada-pytorch or stylegan3" in result.stderr


def test_bench_against_nvidia_names_what_their_code_needs(shared_fixtures, tmp_path):
    repo = tmp_path / "stylegan3"
    (repo / "torch_utils").mkdir(parents=True)
    (repo / "training").mkdir()
    (repo / "training" / "networks_stylegan3.py").write_text("import pkg_resources_gone_for_this_test\n")
    pkl = shared_fixtures / "nv_sg3t_32_redacted.pkl"
    result = run_cli("bench", str(pkl), "--nvidia-repo", str(repo), "--json", str(tmp_path / "b.json"))
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "imports pkg_resources_gone_for_this_test, which this environment lacks" in result.stderr
    assert "pip install pkg_resources_gone_for_this_test" in result.stderr
