"""ONNX export round trips: the graph run by onnxruntime against torch eager."""

from __future__ import annotations

import numpy as np
import onnxruntime
import torch

from installation.backends.graph import export_onnx, export_program
from installation.cli import main
from tests.model.helpers import tiny_generator

TOLERANCE = 1e-4  # max |diff| / std, fp32


def test_dynamic_batch_graph_matches_torch_at_other_batch_sizes(tmp_path):
    G = tiny_generator(resolution=16)
    path = export_onnx(export_program(G, 16, dynamic_batch=True), tmp_path / "g.onnx")
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for batch in (1, 3):
        ws = G.mapping(torch.randn(batch, G.z_dim))
        gain = torch.linspace(0, 2, batch)
        (got,) = session.run(None, {"ws": ws.numpy(), "noise_gain": gain.numpy()})
        with torch.no_grad():
            want = G.synthesis(ws, noise_gain=gain).numpy()
        assert got.shape == want.shape == (batch, 3, 16, 16)
        assert np.abs(got - want).max() / want.std() < TOLERANCE


def test_export_command_writes_a_checked_graph(tmp_path, capsys):
    out = tmp_path / "default-8px.onnx"
    assert main(["export", "default", "--out", str(out), "--stop-res", "8", "--batch", "2"]) == 0
    assert out.stat().st_size > 0
    assert "onnxruntime fp32 vs torch fp32 at batch 2" in capsys.readouterr().out


def test_export_command_uint8_output(tmp_path, capsys):
    out = tmp_path / "u8.onnx"
    assert main(["export", "--out", str(out), "--stop-res", "8", "--uint8"]) == 0
    session = onnxruntime.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    assert session.get_outputs()[0].type == "tensor(uint8)"
    assert "levels" in capsys.readouterr().out


def test_export_command_rejects_a_stop_res_the_model_lacks(tmp_path, capsys):
    assert main(["export", "--out", str(tmp_path / "x.onnx"), "--stop-res", "48"]) == 2
    assert "--stop-res must be one of" in capsys.readouterr().err
