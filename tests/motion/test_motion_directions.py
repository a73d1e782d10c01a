"""Semantic directions: SeFa and GANSpace from a real (tiny) generator, caching, use in motion."""

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from installation.errors import UserError
from installation.motion import LatentSpace, Motion, directions_for
from installation.motion.directions import cache_path, conv_ws_index, ganspace, sefa, sefa_vectors
from installation.motion.latents import layer_slice, seed_z
from installation.motion.sheet import LAYERS_WIDTH, direction_sheet
from tests.motion.conftest import snapshot

ROOT = Path(__file__).resolve().parents[2]


def orthonormal(rows):
    np.testing.assert_allclose(rows @ rows.T, np.eye(len(rows)), atol=1e-5)


def test_conv_ws_index():
    assert [conv_ws_index(4, 1), conv_ws_index(8, 0), conv_ws_index(8, 1), conv_ws_index(16, 0)] == [
        0,
        1,
        2,
        3,
    ]


def test_sefa_orthonormal_eigenvectors(G, space):
    vectors, values = sefa_vectors(G.state_dict(), slice(0, space.num_ws))
    assert vectors.shape == (space.w_dim, space.w_dim)
    orthonormal(vectors)
    assert np.all(np.diff(values) <= 1e-9)  # strongest first
    # Eigenvectors of AᵀA: A v = sqrt(λ) times a unit vector.
    a = np.concatenate(
        [
            w.numpy() / np.linalg.norm(w.numpy(), axis=1, keepdims=True)
            for k, w in G.state_dict().items()
            if k.endswith("affine.weight") and ".conv" in k
        ]
    )
    np.testing.assert_allclose(np.linalg.norm(a @ vectors[0]), np.sqrt(values[0]), rtol=1e-4)


def test_sefa_layer_range(G, space):
    coarse, _ = sefa_vectors(G.state_dict(), slice(0, 4))
    everything, _ = sefa_vectors(G.state_dict(), slice(0, space.num_ws))
    assert abs(coarse[0] @ everything[0]) < 0.999
    with pytest.raises(UserError, match="no style layers"):
        sefa_vectors(G.state_dict(), slice(40, 50))
    directions = sefa(G.state_dict(), slice(0, 4), space, 5)
    assert len(directions) == 5 and np.all(directions.sigmas > 0)


class CountingSpace(LatentSpace):
    """The real mapping, counting the z it maps."""

    mapped = 0

    def map(self, z, c=None):
        CountingSpace.mapped += len(z)
        return super().map(z, c)


def test_ganspace_cache_is_reused(G, space, tmp_path):
    counting = CountingSpace(
        **{f: getattr(space, f) for f in ("z_dim", "w_dim", "c_dim", "num_ws", "w_avg", "mapper")}
    )
    cache = tmp_path / "model.pkl.ganspace.npz"
    first = ganspace(counting, 2000, cache)
    orthonormal(first.vectors)
    assert np.all(np.diff(first.sigmas) <= 1e-6) and cache.is_file()
    CountingSpace.mapped = 0
    again = ganspace(counting, 2000, cache)
    assert CountingSpace.mapped < 10  # only the probe that recognises the model
    np.testing.assert_array_equal(again.vectors, first.vectors)
    ganspace(counting, 3000, cache)  # another sample count: recomputed
    assert CountingSpace.mapped > 3000


def test_ganspace_cache_belongs_to_its_model(G, space, tmp_path):
    from tests.model.helpers import tiny_generator

    cache = tmp_path / "cache.npz"
    ganspace(space, 1000, cache)
    other = LatentSpace.from_generator(tiny_generator(seed=7, resolution=64))
    recomputed = ganspace(other, 1000, cache)
    np.testing.assert_array_equal(recomputed.vectors, ganspace(other, 1000, None).vectors)


def test_cache_paths(tmp_path, monkeypatch):
    assert cache_path(tmp_path / "ffhq.pkl") == tmp_path / "ffhq.pkl.ganspace.npz"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert cache_path("default") == tmp_path / "cache" / "installation" / "default.ganspace.npz"


def test_direction_amounts_move_ws(make_show, space, G):
    show = make_show(
        '[motion]\nkeyframes = [1, 2]\ndirections = "sefa"\ndirection_count = 3\n'
        'direction_layers = "middle"\ndirection_scale = 2.0\n'
    )
    directions = directions_for(show, G, space)
    assert len(directions) == 3
    motion = Motion(show, space, directions)
    still = motion.evaluate(snapshot(show), np.array([0.2])).ws[0]
    moved = motion.evaluate(snapshot(show, direction_1=0.5), np.array([0.2])).ws[0]
    expected = 0.5 * 2.0 * directions.sigmas[1] * directions.vectors[1]
    np.testing.assert_allclose(
        moved[4:8] - still[4:8], np.broadcast_to(expected, (4, space.w_dim)), atol=1e-5
    )
    np.testing.assert_array_equal(moved[:4], still[:4])
    assert directions_for(make_show(), G, space) is None


def test_sheet(G, space, tmp_path):
    directions = sefa(G.state_dict(), slice(0, space.num_ws), space, 3)
    sheet = direction_sheet(
        G,
        space,
        directions,
        layer_slice((0, None), space.num_ws),
        np.linspace(-1, 1, 5),
        scale=3.0,
        base_z=seed_z(0, space.z_dim),
        psi=0.7,
        cell=32,
    )
    assert sheet.shape == (24 + 3 * 32, 48 + 5 * 32 + LAYERS_WIDTH, 3) and sheet.dtype == np.uint8
    row = sheet[24:56, 48 : 48 + 5 * 32]
    assert np.abs(row[:, :32].astype(int) - row[:, -32:]).mean() > 1  # amounts change the picture
    assert sheet[24:, -LAYERS_WIDTH:].any()  # the layers each direction changes most are named


def test_layer_changes_start_at_the_first_layer_a_w_reaches(G):
    from installation.model.layer_effects import layer_changes, most_changed

    ws = G.mapping(torch.randn(1, G.z_dim)).clone()
    moved = ws.clone()
    moved[:, G.config.ws_index(16)] += 2.0  # the w of b16.conv0 alone
    changes = layer_changes(G, ws, moved)
    assert [changes[n] for n in ("b4.conv1", "b8.conv0", "b8.conv1")] == [0.0, 0.0, 0.0]
    assert changes["b16.conv0"] > 0.01
    assert not {"b4.conv1", "b8.conv0", "b8.conv1"} & set(most_changed(changes, top=3))


def test_directions_command(tmp_path):
    from tests.checkpoints.ckpt_writers import random_state, small_config, write_nvlabs_pickle

    config = small_config()
    model = tmp_path / "tiny.pkl"
    write_nvlabs_pickle(model, random_state(config), config)
    out = tmp_path / "sheet.png"
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "run.py"),
            "directions",
            str(model),
            "--out",
            str(out),
            "--method",
            "ganspace",
            "--samples",
            "1000",
            "--count",
            "2",
            "--steps",
            "3",
            "--cell",
            "16",
            "--device",
            "cpu",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert cv2.imread(str(out)).shape == (24 + 2 * 16, 48 + 3 * 16 + LAYERS_WIDTH, 3)
    assert Path(str(model) + ".ganspace.npz").is_file()
