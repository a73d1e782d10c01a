"""Generator behaviour that NVIDIA's fixture alone does not pin down."""

import numpy as np
import pytest
import torch

from installation.errors import CheckpointError
from installation.model import Generator, GeneratorConfig
from tests.model.helpers import tiny_config, tiny_generator


@pytest.mark.parametrize("architecture", ["skip", "orig", "resnet"])
def test_every_architecture_renders_and_round_trips_its_state(architecture):
    G = tiny_generator(architecture=architecture)
    z = torch.randn(2, 16)
    img = G(z)
    assert img.shape == (2, 3, 32, 32) and torch.isfinite(img).all()
    config = GeneratorConfig.from_state_dict(
        G.state_dict(), architecture=architecture, conv_clamp=256.0, num_fp16_res=2
    )
    assert config.channels == G.config.channels and config.num_ws == G.num_ws == 8
    G2 = Generator.from_state_dict(config, G.state_dict())
    assert torch.equal(G2(z), img)


def test_only_the_skip_architecture_has_rgb_per_block():
    keys = {
        a: {k for k in tiny_generator(architecture=a).state_dict() if ".torgb." in k}
        for a in ("skip", "orig")
    }
    assert any(k.startswith("synthesis.b8.torgb") for k in keys["skip"])
    assert {k.split(".")[1] for k in keys["orig"]} == {"b32"}


def test_batch_equals_one_by_one():
    G = tiny_generator()
    ws = G.mapping(torch.randn(4, 16), truncation_psi=0.7)
    batched = G.synthesis(ws)
    single = torch.cat([G.synthesis(ws[i : i + 1]) for i in range(4)])
    assert (batched - single).abs().max() < 1e-5


def test_partial_output_is_the_running_skip_image():
    G = tiny_generator()
    ws = G.mapping(torch.randn(2, 16))
    full = G.synthesis(ws)
    assert torch.equal(G.synthesis(ws, stop_res=32), full)
    for res in (4, 8, 16):
        part = G.synthesis(ws, stop_res=res)
        assert part.shape == (2, 3, res, res)
    with pytest.raises(ValueError, match="stop_res"):
        G.synthesis(ws, stop_res=12)
    with pytest.raises(ValueError, match="skip"):
        tiny_generator(architecture="resnet").synthesis(ws, stop_res=16)


def test_noise_modes():
    G = tiny_generator()
    ws = G.mapping(torch.randn(1, 16))
    const, none = G.synthesis(ws, noise_mode="const"), G.synthesis(ws, noise_mode="none")
    torch.manual_seed(3)
    r1 = G.synthesis(ws, noise_mode="random")
    torch.manual_seed(3)
    r2 = G.synthesis(ws, noise_mode="random")
    assert torch.equal(r1, r2) and not torch.equal(r1, const) and not torch.equal(const, none)
    # noise_gain 0 removes the noise exactly like noise_mode none
    assert torch.allclose(G.synthesis(ws, noise_gain=0.0), none, atol=1e-6)


def test_truncation_with_cutoff_moves_only_early_ws_towards_average():
    G = tiny_generator()
    z = torch.randn(3, 16)
    free = G.mapping(z)
    cut = G.mapping(z, truncation_psi=0.5, truncation_cutoff=3)
    assert torch.equal(cut[:, 3:], free[:, 3:])
    assert torch.allclose(cut[:, :3], G.mapping.w_avg + 0.5 * (free[:, :3] - G.mapping.w_avg), atol=1e-6)


def test_conditional_mapping_uses_the_label():
    G = tiny_generator(c_dim=4)
    z = torch.randn(1, 16).repeat(2, 1)
    c = torch.eye(4)[:2]
    ws = G.mapping(z, c)
    assert not torch.allclose(ws[0], ws[1])
    with pytest.raises(ValueError, match="conditional"):
        G.mapping(z)


def test_conv_clamp_limits_activations():
    G = tiny_generator(conv_clamp=0.05)
    ws = G.mapping(torch.randn(1, 16))
    seen = []
    hook = G.synthesis.b16.conv1.register_forward_hook(lambda m, a, out: seen.append(out.abs().max().item()))
    G.synthesis(ws)
    hook.remove()
    assert seen and seen[0] <= 0.05 + 1e-7


def test_half_precision_paths_stay_close_to_fp32():
    G = tiny_generator()
    ws = G.mapping(torch.randn(2, 16))
    ref = G.synthesis(ws)
    for precision in ("mixed", "bf16"):
        img = G.synthesis(ws, precision=precision)
        assert img.dtype == torch.float32
        assert (img - ref).abs().max() / ref.std() < 0.15, precision


def test_nonfinite_half_block_is_recomputed_in_fp32():
    G = tiny_generator(conv_clamp=None)
    with torch.no_grad():
        G.synthesis.b32.conv1.bias.fill_(1e5)  # fine in fp32, beyond fp16's range (65504)
    ws = G.mapping(torch.randn(1, 16))
    ref = G.synthesis(ws)
    assert torch.isfinite(ref).all()
    unguarded = G.synthesis(ws, precision="fp16", guard_nonfinite=False)
    assert not torch.isfinite(unguarded).all()
    guarded = G.synthesis(ws, precision="fp16")
    assert torch.isfinite(guarded).all()
    assert (guarded - ref).abs().max() / ref.abs().max() < 1e-2


def test_strict_loading_names_missing_and_unexpected_tensors():
    G = tiny_generator()
    state = dict(G.state_dict())
    del state["synthesis.b8.conv0.weight"]
    state["synthesis.b8.extra"] = torch.zeros(1)
    with pytest.raises(
        CheckpointError, match="missing synthesis.b8.conv0.weight.*unexpected synthesis.b8.extra"
    ):
        Generator.from_state_dict(G.config, state)
    bad = dict(G.state_dict())
    bad["mapping.fc0.bias"] = torch.zeros(3)
    with pytest.raises(CheckpointError, match="mapping.fc0.bias has shape"):
        Generator.from_state_dict(G.config, bad)


def test_sizes_come_from_tensors_not_formulas():
    # a fork with an unusual channel layout and a non-square constant
    config = tiny_config()
    config = GeneratorConfig(
        **{**config.__dict__, "channels": {4: 24, 8: 40, 16: 8, 32: 16}, "init_size": (4, 6)}
    )
    torch.manual_seed(0)
    G = Generator(config)
    read = GeneratorConfig.from_state_dict(G.state_dict())
    assert read.channels == {4: 24, 8: 40, 16: 8, 32: 16} and read.init_size == (4, 6)
    assert G.synthesis(G.mapping(torch.randn(1, 16))).shape == (1, 3, 32, 48)


def test_seed_convention_matches_numpy_legacy_generator():
    from installation.model.imaging import parse_seeds, seed_latents

    assert parse_seeds("0-3,7") == [0, 1, 2, 3, 7]
    z = seed_latents([5], 8)
    assert np.array_equal(z.numpy()[0], np.random.RandomState(5).randn(8))


def test_skip_weight_is_cached_per_gain():
    G = tiny_generator(architecture="resnet")
    skip = G.synthesis.b8.skip
    x = torch.randn(1, skip.weight.shape[1], 4, 4)
    kernel = G.synthesis.b8.resample_filter
    half = skip(x, kernel, gain=0.5)
    # A second caller with another gain must not get the weight folded for the first one.
    assert torch.allclose(skip(x, kernel, gain=1.0), 2 * half, atol=1e-6)
    assert torch.allclose(skip(x, kernel, gain=0.5), half, atol=0)


def test_synthesis_bias_is_cached_per_gain():
    G = tiny_generator()
    layer = G.synthesis.b8.conv1
    x = torch.randn(1, layer.weight.shape[1], 8, 8)
    w = torch.randn(1, 16)
    kernel = G.synthesis.b8.resample_filter
    one = layer(x.clone(), w, kernel, noise_mode="none", gain=1.0)
    other = layer(x.clone(), w, kernel, noise_mode="none", gain=0.5)
    assert not torch.allclose(one, other)
    assert torch.equal(layer(x.clone(), w, kernel, noise_mode="none", gain=1.0), one)


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda G, k: G.synthesis.b8.conv0(torch.randn(2, 32, 8, 8), torch.randn(2, 16), k),
            r"x .*\[2, 32, 4, 4\]",
        ),
        (
            lambda G, k: G.synthesis.b8.conv1(torch.randn(2, 32, 8, 8), torch.randn(3, 16), k),
            r"w .*\[2, 16\]",
        ),
        (lambda G, k: G.synthesis.b8.torgb(torch.randn(2, 7, 8, 8), torch.randn(2, 16)), r"ToRGB x"),
        (lambda G, k: G.mapping.fc0(torch.randn(2, 5)), r"FullyConnected input .*\[\*, 16\]"),
        (
            lambda G, k: G.synthesis.b8(
                torch.randn(2, 32, 4, 4),
                torch.randn(2, 3, 8, 8),
                torch.randn(2, 3, 16),
                torch.float32,
                noise_mode="const",
                noise=None,
                noise_gain=1.0,
                fused=None,
            ),
            r"b8 img .*\[2, 3, 4, 4\]",
        ),
        (
            lambda G, k: G.synthesis.b8.conv1(
                torch.randn(1, 32, 8, 8), torch.randn(1, 16), k, noise=torch.randn(1, 1, 4, 4)
            ),
            r"noise",
        ),
    ],
)
def test_layers_check_the_shapes_they_are_given(call, message):
    G = tiny_generator()
    with pytest.raises(AssertionError, match=message):
        call(G, G.synthesis.b8.resample_filter)
