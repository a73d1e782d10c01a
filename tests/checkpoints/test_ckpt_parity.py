"""A genuine stylegan2-ada-pytorch pickle renders what NVIDIA's own code rendered from it."""

import numpy as np
import pytest
import torch

from installation.checkpoints import load_checkpoint, load_generator
from installation.model.ops import fir_filter_2d
from tests.parts import SHARED_FIXTURES, require_part

PICKLE = SHARED_FIXTURES / "nv_ada_64_redacted.pkl"
REFERENCE = SHARED_FIXTURES / "nv_ada_64.ref.npz"


@pytest.fixture(scope="module", autouse=True)
def _needs_the_parity_fixture() -> None:  # module scope: before the module's fixtures read the files
    if not (PICKLE.exists() and REFERENCE.exists()):
        require_part("../shared", f"parity fixture {PICKLE} or {REFERENCE.name} not found (shared checkout)")


# (key suffix, truncation_psi, truncation_cutoff)
TRUNCATIONS = [("psi1.0", 1.0, None), ("psi0.7", 0.7, None), ("psi0.5_cutoff4", 0.5, 4)]


@pytest.fixture(scope="module")
def reference() -> dict[str, np.ndarray]:
    with np.load(REFERENCE) as npz:
        return dict(npz)


@pytest.fixture(scope="module")
def G():
    return load_generator(PICKLE)


def test_hints_read_off_the_file():
    ckpt = load_checkpoint(PICKLE)
    assert ckpt.format == "nvlabs-pytorch"
    assert ckpt.hints["architecture"] == "skip"
    assert ckpt.hints["conv_clamp"] == 256
    assert ckpt.hints["num_fp16_res"] == 4
    assert ckpt.hints["mapping_lr_multiplier"] == pytest.approx(0.01)
    assert not any(name.endswith("resample_filter") for name in ckpt.state)
    assert torch.allclose(ckpt.hints["resample_filter"], fir_filter_2d())  # NVIDIA's [1,3,3,1]
    assert all(t.dtype == torch.float32 and t.is_contiguous() for t in ckpt.state.values())
    assert "\n" not in ckpt.description


def test_generator_config(G):
    assert G.num_ws == 10
    assert G.config.img_resolution == 64 and G.config.z_dim == G.config.w_dim == 64
    assert G.config.channels == {4: 128, 8: 128, 16: 128, 32: 64, 64: 32}
    assert G.config.extra["format"] == "nvlabs-pytorch"
    assert G.config.extra["path"] == str(PICKLE)


@pytest.mark.parametrize("key, psi, cutoff", TRUNCATIONS)
def test_ws_and_images_match_nvidia(G, reference, key, psi, cutoff):
    z = torch.from_numpy(reference["z"])
    with torch.no_grad():
        ws = G.mapping(z, None, truncation_psi=psi, truncation_cutoff=cutoff)
        np.testing.assert_allclose(ws.numpy(), reference[f"ws_{key}"], rtol=0, atol=1e-4)
        img = G.synthesis(ws, noise_mode="const")
    np.testing.assert_allclose(img.numpy(), reference[f"img_{key}_const"], rtol=0, atol=1e-4)


def test_image_without_noise_matches_nvidia(G, reference):
    with torch.no_grad():
        img = G.synthesis(G.mapping(torch.from_numpy(reference["z"]), None), noise_mode="none")
    np.testing.assert_allclose(img.numpy(), reference["img_psi1.0_none"], rtol=0, atol=1e-4)
