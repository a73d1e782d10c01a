"""A generator written as rosinality/stylegan2-pytorch's convert_weight.py writes one: a
torch.save of `{"g_ema": state dict, "latent_avg": w_avg}`, plain tensors only (spec §3).

The names and shapes are the inverse of the reader in `rosinality.py`, whose mapping this
module reuses and checks every tensor against, so what is written reads back unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import torch

from installation.checkpoints.rosinality import nvlabs_name
from installation.errors import UserError

_MODULATED = ("conv.weight", "conv.modulation.weight", "conv.modulation.bias")


def unwritable_reason(config) -> str | None:
    """Why rosinality's generator cannot hold a model of `config`, or None when it can."""
    needs = {
        "architecture": ("skip", config.architecture),
        "conditioning (c_dim)": (0, config.c_dim),
        "image channels": (3, config.img_channels),
        "constant size": ((4, 4), tuple(config.init_size)),
        "noise inputs": (True, config.use_noise),
        "mapping learning-rate multiplier": (0.01, config.mapping_lr_multiplier),
        "mapping activation": ("lrelu", config.mapping_activation),
    }
    for what, (wanted, got) in needs.items():
        if wanted != got:
            return f"its {what} is {got}; rosinality's generator has only {wanted}"
    if config.z_dim != config.w_dim:
        return f"z_dim {config.z_dim} is not w_dim {config.w_dim}; rosinality's generator has one style_dim"
    return None


def rosinality_state(G) -> dict[str, torch.Tensor]:
    """G's synthesis and mapping under rosinality's names and shapes (`g_ema.state_dict()`)."""
    ours = {name: t.detach().to("cpu", torch.float32) for name, t in G.state_dict().items()}
    kernel = torch.tensor(G.config.resample_filter, dtype=torch.float32) * 4  # the up-sampling gain
    out = {}
    for name in _names(G.config):
        if name.endswith(("blur.kernel", "upsample.kernel")):
            out[name] = kernel.clone()
            continue
        target, load = nvlabs_name(name)
        value = ours[target]
        stored = value.reshape(_stored_shape(name, value)).contiguous()
        if not torch.equal(load(stored), value):  # the reader must see exactly what we hold
            raise AssertionError(f"{name} would not read back as {target}")
        out[name] = stored
    return out


def save_rosinality(G, path: str | Path) -> None:
    """Write G as a rosinality .pt; UserError (one line) when its generator cannot hold it."""
    reason = unwritable_reason(G.config)
    if reason is not None:
        raise UserError(f"cannot write this model in rosinality's layout: {reason}")
    latent_avg = G.mapping.w_avg.detach().to("cpu", torch.float32).clone()
    torch.save({"g_ema": rosinality_state(G), "latent_avg": latent_avg}, Path(path))


def _names(config) -> Iterator[str]:
    for i in range(config.mapping_layers):  # style.0 is the PixelNorm
        yield from (f"style.{i + 1}.weight", f"style.{i + 1}.bias")
    yield "input.input"
    yield from _layer("conv1")
    yield from _layer("to_rgb1", rgb=True)
    for j in range(len(config.block_resolutions) - 1):
        yield from _layer(f"convs.{2 * j}", up=True)
        yield from _layer(f"convs.{2 * j + 1}")
        yield from _layer(f"to_rgbs.{j}", rgb=True)
        yield f"to_rgbs.{j}.upsample.kernel"
    for i in range(2 * len(config.block_resolutions) - 1):
        yield f"noises.noise_{i}"


def _layer(module: str, *, up: bool = False, rgb: bool = False) -> Iterator[str]:
    parts = [*_MODULATED, *(["bias"] if rgb else ["noise.weight", "activate.bias"])]
    if up:
        parts.append("conv.blur.kernel")
    for part in parts:
        yield f"{module}.{part}"


def _stored_shape(name: str, value: torch.Tensor) -> tuple[int, ...]:
    """rosinality's shape of a tensor: the batch axes NVIDIA's layout does not have."""
    if name.endswith("conv.weight") or name == "input.input":
        return (1, *value.shape)
    if name.startswith("noises."):
        return (1, 1, *value.shape)
    if name.endswith("noise.weight"):
        return (1,)
    if re.fullmatch(r"to_rgb(1|s\.\d+)\.bias", name):
        return (1, -1, 1, 1)
    return tuple(value.shape)
