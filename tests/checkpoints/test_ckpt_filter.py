"""A generator trained with another resample filter than [1,3,3,1] renders with its own filter:
a network pickle written with one loads to images equal to a literal transcription of NVIDIA's
formulas (upfirdn2d, conv2d_resample) with that filter."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from installation.checkpoints import load_generator
from installation.errors import CheckpointError
from installation.model.config import checked_filter
from installation.model.ops import fir_filter_2d
from tests.checkpoints.ckpt_writers import random_state, small_config, write_nvlabs_pickle

FILTERS = {"default": (1, 3, 3, 1), "binomial": (1, 2, 1), "lopsided": (1, 3, 2), "box": (1, 1)}


def convolve(x: torch.Tensor, f: torch.Tensor, before: int, after: int) -> torch.Tensor:
    """upfirdn2d without resampling: zero-pad, then a true convolution of each channel with f."""
    c = x.shape[1]
    x = F.pad(x, (before, after, before, after))
    return F.conv2d(x, f.flip([0, 1])[None, None].expand(c, 1, *f.shape), groups=c)


def upsample(img: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
    """upfirdn2d.upsample2d: zero insertion, pad ((k+1)//2, (k-2)//2), filter with gain 4."""
    n, c, h, w = img.shape
    stuffed = torch.zeros(n, c, 2 * h, 2 * w, dtype=img.dtype)
    stuffed[:, :, ::2, ::2] = img
    k = f.shape[0]
    return convolve(stuffed, 4 * f, (k + 1) // 2, (k - 2) // 2)


def modulated(state: dict, name: str, x: torch.Tensor, w: torch.Tensor, f: torch.Tensor, up: bool):
    weight = state[f"{name}.weight"]
    styles = F.linear(w, state[f"{name}.affine.weight"] / math.sqrt(w.shape[1]), state[f"{name}.affine.bias"])
    rows = []
    for xi, si in zip(x, styles, strict=True):
        wi = weight * si[None, :, None, None]
        wi = wi / torch.sqrt(wi.square().sum(dim=[1, 2, 3], keepdim=True) + 1e-8)
        if up:  # conv2d_resample for a 3x3 kernel: transposed conv, then pad ((k+1)//2 - 1, (k-2)//2)
            k = f.shape[0]
            y = F.conv_transpose2d(xi[None], wi.transpose(0, 1), stride=2)
            rows.append(convolve(y, 4 * f, (k + 1) // 2 - 1, (k - 2) // 2))
        else:
            rows.append(F.conv2d(xi[None], wi, padding=1))
    y = torch.cat(rows) + state[f"{name}.noise_const"] * state[f"{name}.noise_strength"]
    y = F.leaky_relu(y + state[f"{name}.bias"][None, :, None, None], 0.2) * math.sqrt(2)
    return y.clamp(-256, 256)


def to_rgb(state: dict, name: str, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    styles = F.linear(w, state[f"{name}.affine.weight"] / math.sqrt(w.shape[1]), state[f"{name}.affine.bias"])
    styles = styles / math.sqrt(x.shape[1])
    y = torch.einsum("nihw,oi,ni->nohw", x, state[f"{name}.weight"][:, :, 0, 0], styles)
    return (y + state[f"{name}.bias"][None, :, None, None]).clamp(-256, 256)


def reference_synthesis(state: dict, resolutions: list[int], ws: torch.Tensor, f: torch.Tensor):
    """The 'skip' synthesis network in fp32 with const noise, as spec §1.7 spells it out."""
    x = state["synthesis.b4.const"][None].expand(ws.shape[0], -1, -1, -1)
    x = modulated(state, "synthesis.b4.conv1", x, ws[:, 0], f, up=False)
    img = to_rgb(state, "synthesis.b4.torgb", x, ws[:, 1])
    for res in resolutions[1:]:
        i = 2 * int(math.log2(res)) - 5
        b = f"synthesis.b{res}"
        x = modulated(state, f"{b}.conv0", x, ws[:, i], f, up=True)
        x = modulated(state, f"{b}.conv1", x, ws[:, i + 1], f, up=False)
        img = upsample(img, f) + to_rgb(state, f"{b}.torgb", x, ws[:, i + 2])
    return img


@pytest.mark.parametrize("taps", FILTERS.values(), ids=FILTERS.keys())
def test_a_pickle_renders_with_the_filter_it_was_trained_with(tmp_path, taps):
    f = fir_filter_2d(dtype=torch.float64, taps=taps)
    config = small_config(num_fp16_res=0, resample_filter=checked_filter(f))
    state = random_state(config, seed=3)
    path = tmp_path / "own-filter.pkl"
    write_nvlabs_pickle(path, state, config)
    G = load_generator(path)
    assert torch.allclose(G.synthesis.b8.resample_filter, f.float())
    ws = G.mapping(torch.randn(2, config.z_dim, generator=torch.Generator().manual_seed(0)))
    with torch.no_grad():
        img = G.synthesis(ws, noise_mode="const")
        want = reference_synthesis(state, config.block_resolutions, ws, f.float())
        default = reference_synthesis(state, config.block_resolutions, ws, fir_filter_2d())
    assert img.shape == want.shape == (2, 3, 16, 16)
    assert (img - want).abs().max() < 1e-4
    if taps != FILTERS["default"]:
        assert (img - default).abs().max() > 1e-2  # the filter matters: the default would not do


def test_a_pickle_whose_layers_disagree_on_the_filter_is_refused(tmp_path):
    config = small_config()
    path = tmp_path / "mixed.pkl"
    write_nvlabs_pickle(path, random_state(config), config, filters={"synthesis.b8.conv0": (1, 2, 1)})
    with pytest.raises(
        CheckpointError, match=r"resample filters differ .*synthesis\.b8\.conv0\.resample_filter"
    ):
        load_generator(path)


@pytest.mark.parametrize(
    "taps, message",
    [((1.0,), "2\\+ taps"), ((1.0, -1.0), "sums to zero"), ((1.0, float("nan")), "2\\+ taps")],
)
def test_an_unusable_filter_is_refused_with_one_line(tmp_path, taps, message):
    with pytest.raises(CheckpointError, match=message):
        checked_filter(taps)
