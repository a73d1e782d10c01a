"""Each supported layout, written from a reference state dict by the inverse conversion, loads to
the same function: same ws and the same images."""

import argparse

import pytest
import torch

from installation.checkpoints import load_checkpoint, load_generator
from installation.checkpoints.safe_pickle import Namespace, torch_load
from installation.model import Generator
from installation.model.config import checked_filter
from installation.model.ops import fir_filter_2d
from tests.checkpoints.ckpt_writers import (
    random_state,
    reference_generator,
    resample_filter,
    rosinality_g_ema,
    rosinality_train_dict,
    small_config,
    torch_save_bytes,
    write_nvlabs_pickle,
    write_tf_pickle,
)

TOL = 1e-4


def assert_same_function(loaded: Generator, source: Generator) -> None:
    gen = torch.Generator().manual_seed(1)
    z = torch.randn(2, source.z_dim, generator=gen)
    c = torch.eye(source.c_dim)[[0, 1 % source.c_dim]] if source.c_dim else None
    assert loaded.config.num_ws == source.config.num_ws
    with torch.no_grad():
        for psi in (1.0, 0.6):
            ws_a = loaded.mapping(z, c, truncation_psi=psi)
            ws_b = source.mapping(z, c, truncation_psi=psi)
            assert (ws_a - ws_b).abs().max() < TOL
            for mode in ("const", "none"):
                img_a = loaded.synthesis(ws_a, noise_mode=mode)
                img_b = source.synthesis(ws_b, noise_mode=mode)
                assert (img_a - img_b).abs().max() < TOL


CONFIGS = {
    "skip": dict(),
    "orig": dict(architecture="orig"),
    "resnet": dict(architecture="resnet", conv_clamp=None, num_fp16_res=0),
    "conditional": dict(c_dim=3),
    # trained with its own filter: 3 taps, lopsided, so a flipped or default filter shows
    "own_filter": dict(resample_filter=checked_filter(fir_filter_2d(dtype=torch.float64, taps=(1, 3, 2)))),
}


@pytest.fixture(params=list(CONFIGS))
def source(request):
    config = small_config(**CONFIGS[request.param])
    state = random_state(config, seed=len(request.param))
    return config, state, reference_generator(config, state)


def test_nvlabs_pickle(tmp_path, source):
    config, state, G = source
    path = tmp_path / "network-snapshot-000100.pkl"
    write_nvlabs_pickle(path, state, config)
    ckpt = load_checkpoint(path)
    assert ckpt.format == "nvlabs-pytorch"
    hints = dict(ckpt.hints)
    assert torch.equal(hints.pop("resample_filter"), resample_filter(config))
    assert hints == dict(
        architecture=config.architecture,
        conv_clamp=config.conv_clamp,
        num_fp16_res=config.num_fp16_res,
        mapping_lr_multiplier=0.01,
        mapping_activation="lrelu",
    )
    assert_same_function(load_generator(path), G)


def test_tensorflow_pickle(tmp_path, source):
    config, state, G = source
    path = tmp_path / "stylegan2-custom-config-f.pkl"
    write_tf_pickle(path, state, config)
    ckpt = load_checkpoint(path)
    assert ckpt.format == "nvlabs-tensorflow"
    assert ckpt.hints["architecture"] == config.architecture
    assert ckpt.hints["conv_clamp"] == config.conv_clamp
    assert_same_function(load_generator(path), G)


def test_tensorflow_orig_generator_with_lod_torgbs(tmp_path):
    config = small_config(architecture="orig")
    state = random_state(config, seed=5)
    path = tmp_path / "config-d.pkl"
    write_tf_pickle(path, state, config, lod_torgbs=True)
    assert load_checkpoint(path).hints["architecture"] == "orig"
    assert_same_function(load_generator(path), reference_generator(config, state))


@pytest.mark.parametrize("flat_attributes", [True, False], ids=["attributes", "init-kwargs-only"])
def test_stylegan3_repo_flat_kwargs(tmp_path, flat_attributes):
    config = small_config(num_fp16_res=1, conv_clamp=256.0)
    state = random_state(config, seed=7)
    path = tmp_path / "sg3-repo-stylegan2.pkl"
    write_nvlabs_pickle(path, state, config, flat=True, attributes=flat_attributes)
    ckpt = load_checkpoint(path)
    assert "stylegan3-repo" in ckpt.description
    assert ckpt.hints["conv_clamp"] == 256 and ckpt.hints["num_fp16_res"] == 1
    assert_same_function(load_generator(path), reference_generator(config, state))


def test_plain_torch_modules_outside_g_ema_are_ignored(tmp_path):
    """An exotic fork's discriminator made of stock torch.nn modules does not stop the load."""
    config = small_config()
    state = random_state(config, seed=3)
    path = tmp_path / "fork.pkl"
    D = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.LeakyReLU(0.2), torch.nn.Flatten())
    write_nvlabs_pickle(path, state, config, D=D)
    assert_same_function(load_generator(path), reference_generator(config, state))


ROSINALITY_CONFIG = dict(conv_clamp=None, num_fp16_res=0)


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy-stream"])
def test_rosinality_converted(tmp_path, legacy):
    config = small_config(**ROSINALITY_CONFIG)
    state = random_state(config, seed=11)
    path = tmp_path / "stylegan2-ffhq-config-f.pt"
    path.write_bytes(
        torch_save_bytes(
            {"g_ema": rosinality_g_ema(state, config), "latent_avg": state["mapping.w_avg"]}, legacy=legacy
        )
    )
    ckpt = load_checkpoint(path)
    assert ckpt.format == "rosinality"
    assert ckpt.hints["conv_clamp"] is None and ckpt.hints["architecture"] == "skip"
    assert_same_function(load_generator(path), reference_generator(config, state))


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy-stream"])
def test_rosinality_train_checkpoint(tmp_path, legacy):
    config = small_config(**ROSINALITY_CONFIG)
    state = random_state(config, seed=13)
    path = tmp_path / "550000.pt"
    path.write_bytes(torch_save_bytes(rosinality_train_dict(state, config), legacy=legacy))
    ckpt = load_checkpoint(path)
    assert ckpt.format == "rosinality-train"
    assert "mapping.w_avg" not in ckpt.state
    G = load_generator(path)
    # Without latent_avg the truncation centre is estimated: the same on every load, near the mean of W.
    assert torch.equal(G.mapping.w_avg, load_generator(path).mapping.w_avg)
    source = reference_generator(config, state)
    with torch.no_grad():
        z = torch.randn(8192, config.z_dim, generator=torch.Generator().manual_seed(99))
        w = source.mapping(z)[:, 0]
        # The two estimates differ by sampling error, about 0.02 standard deviations.
        assert ((G.mapping.w_avg - w.mean(0)) / w.std(0)).abs().max() < 0.15
        source.mapping.w_avg.copy_(G.mapping.w_avg)
    assert_same_function(G, source)


def test_argparse_namespace_becomes_an_inert_stand_in(tmp_path):
    """train.py's args come back as plain attributes on a stand-in, not as an argparse object."""
    config = small_config(**ROSINALITY_CONFIG)
    path = tmp_path / "000100.pt"
    path.write_bytes(torch_save_bytes(rosinality_train_dict(random_state(config), config)))
    with path.open("rb") as f:
        args = torch_load(f)["args"]
    assert type(args) is Namespace and not isinstance(args, argparse.Namespace)
    assert args.arch == "stylegan2" and args.size == 16


def test_extension_does_not_matter(tmp_path):
    config = small_config(**ROSINALITY_CONFIG)
    state = random_state(config)
    pickle_named_pt = tmp_path / "model.pt"
    write_nvlabs_pickle(pickle_named_pt, state, config)
    assert load_checkpoint(pickle_named_pt).format == "nvlabs-pytorch"
    zip_named_pkl = tmp_path / "model.pkl"
    zip_named_pkl.write_bytes(
        torch_save_bytes({"g_ema": rosinality_g_ema(state, config), "latent_avg": state["mapping.w_avg"]})
    )
    assert load_checkpoint(zip_named_pkl).format == "rosinality"
