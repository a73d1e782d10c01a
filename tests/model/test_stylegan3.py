"""StyleGAN3 (configs T and R) from genuine stylegan3-repo snapshots renders what NVIDIA's code rendered."""

import numpy as np
import pytest
import torch

from installation.checkpoints import load_generator
from installation.errors import CheckpointError
from installation.model.stylegan3 import input_transform, input_transform_for
from tests.checkpoints.ckpt_writers import rewrite_nvlabs_pickle
from tests.conftest import SHARED_FIXTURES

TRUNCATIONS = [("psi1.0", 1.0, None), ("psi0.7", 0.7, None), ("psi0.5_cutoff4", 0.5, 4)]
TRANSFORM = dict(rotate_deg=10, translate=(0.1, -0.05))  # as the fixtures' README says


@pytest.fixture(scope="module", params=["t", "r"])
def fixture(request):
    pkl = SHARED_FIXTURES / f"nv_sg3{request.param}_32_redacted.pkl"
    if not pkl.exists():
        pytest.skip(f"StyleGAN3 parity fixture not found at {pkl} (only CI and developers have ../shared)")
    with np.load(SHARED_FIXTURES / f"nv_sg3{request.param}_32.ref.npz") as npz:
        ref = dict(npz)
    return request.param, pkl, load_generator(pkl), ref


def test_geometry_read_from_the_file(fixture):
    variant, _, G, _ = fixture
    cfg = G.config
    assert cfg.variant == variant.upper() and cfg.radial_filters == (variant == "r")
    assert (cfg.img_resolution, cfg.num_ws, len(cfg.layers)) == (32, 16, 15)
    assert cfg.layers[-1].is_torgb and cfg.layers[-1].out_channels == 3
    assert cfg.input.size == (36, 36) and cfg.layers[5].up == 4
    layer = getattr(G.synthesis, cfg.layers[5].name)
    assert layer.magnitude_ema.item() != 1  # perturbed in the fixture, so read from it


@pytest.mark.parametrize("key, psi, cutoff", TRUNCATIONS)
def test_ws_and_images_match_nvidia(fixture, key, psi, cutoff):
    _, _, G, ref = fixture
    with torch.no_grad():
        ws = G.mapping(torch.from_numpy(ref["z"]), None, truncation_psi=psi, truncation_cutoff=cutoff)
        img = G.synthesis(ws)
    assert np.abs(ws.numpy() - ref[f"ws_{key}"]).max() < 1e-4
    assert np.abs(img.numpy() - ref[f"img_{key}_const"]).max() < 1e-4


def test_rotated_and_translated_input_matches_nvidia(fixture):
    _, _, G, ref = fixture
    assert np.abs(np.linalg.inv(input_transform(**TRANSFORM)) - ref["transform_matrix_m"]).max() < 1e-12
    with torch.no_grad():
        img = G.synthesis(torch.from_numpy(ref["ws_psi0.7"]), **input_transform_for(G, **TRANSFORM))
    assert np.abs(img.numpy() - ref["img_psi0.7_transform"]).max() < 1e-4


def test_one_transform_per_frame_in_a_batch(fixture):
    _, _, G, ref = fixture
    ws = torch.from_numpy(ref["ws_psi0.7"][:2])
    moved = torch.from_numpy(input_transform(**TRANSFORM)).float()
    with torch.no_grad():
        batch = G.synthesis(ws, transform=torch.stack([torch.eye(3), moved]))
    assert np.abs(batch[0].numpy() - ref["img_psi0.7_const"][0]).max() < 1e-4
    assert np.abs(batch[1].numpy() - ref["img_psi0.7_transform"][1]).max() < 1e-4


def _set_padding(top):
    layer = top["G_ema"].state["_modules"]["synthesis"].state["_modules"]["L3_36_64"]
    layer.state["padding"] = [10, 10, 10, 10]


def _drop_filter(top):
    layer = top["G_ema"].state["_modules"]["synthesis"].state["_modules"]["L6_52_64"]
    layer.state["_buffers"]["down_filter"] = None


@pytest.mark.parametrize(
    "edit, says",
    [(_set_padding, "L3_36_64: its padding [10, 10, 10, 10]"), (_drop_filter, "L6_52_64")],
)
def test_a_layout_that_does_not_add_up_is_one_line(shared_fixtures, tmp_path, edit, says):
    target = tmp_path / "edited.pkl"
    rewrite_nvlabs_pickle(shared_fixtures / "nv_sg3t_32_redacted.pkl", target, edit)
    with pytest.raises(CheckpointError) as info:
        load_generator(target)
    message = str(info.value)
    assert "\n" not in message and str(target) in message and says in message


def test_sefa_reads_every_conv_affine_but_the_torgb(fixture):
    from installation.motion.directions import _style_affines, sefa_vectors

    _, _, G, _ = fixture
    state = G.state_dict()
    assert [index for index, _ in _style_affines(state)] == list(range(1, 15))  # L0..L13 read ws[1..14]
    vectors, values = sefa_vectors(state, slice(0, G.num_ws))
    assert vectors.shape == (G.w_dim, G.w_dim) and values[0] > values[-1]
    early, _ = sefa_vectors(state, slice(1, 3))
    assert not np.allclose(np.abs(early[0]), np.abs(vectors[0]))
