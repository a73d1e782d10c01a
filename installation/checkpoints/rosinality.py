"""rosinality/stylegan2-pytorch `.pt` files: convert_weight.py (`g_ema` + `latent_avg`) and train.py (`args`).

Same mathematics as NVIDIA's generator, other names (spec §3.3); only the leading batch axes of
the weights, constant and noise maps go.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import torch

from installation.checkpoints.checkpoint import Checkpoint, as_float32, single_filter, unsupported
from installation.errors import CheckpointError

FORMAT = "rosinality"
FORMAT_TRAIN = "rosinality-train"

# rosinality has no clamp, no fp16 blocks and always 'skip' (spec §3.3).
HINTS = {
    "architecture": "skip",
    "conv_clamp": None,
    "num_fp16_res": 0,
    "mapping_lr_multiplier": 0.01,
    "mapping_activation": "lrelu",
}

Transform = Callable[[torch.Tensor], torch.Tensor]

# Sub-names of a StyledConv / ToRGB -> NVIDIA's, with the reshape each needs.
_LAYER_PARTS: dict[str, tuple[str, Transform]] = {
    "conv.weight": ("weight", lambda t: t[0]),
    "conv.modulation.weight": ("affine.weight", lambda t: t),
    "conv.modulation.bias": ("affine.bias", lambda t: t),
    "noise.weight": ("noise_strength", lambda t: t.reshape(())),
    "activate.bias": ("bias", lambda t: t),
    "bias": ("bias", lambda t: t.reshape(-1)),  # ToRGB keeps it as [1, C, 1, 1]
}
# The blur / up-sampling kernels: 4 * the resample filter (a hint, not a tensor of the state).
_FIXED_KERNELS = ("conv.blur.kernel", "upsample.kernel")
_WAVELET = re.compile(r"(^|\.)(iwt|dwt)\.")


def convert(top: dict) -> Checkpoint:
    g_ema = top["g_ema"]
    if not isinstance(g_ema, dict):
        raise CheckpointError(f"g_ema is a {type(g_ema).__name__}, not a state dict")
    args = top.get("args")
    if getattr(args, "arch", "stylegan2") == "swagan" or any(_WAVELET.search(name) for name in g_ema):
        raise unsupported("a rosinality SWAGAN (wavelet generator) checkpoint")
    state = {}
    kernels = {}
    for name, value in g_ema.items():
        mapped = nvlabs_name(name)
        if mapped is not None:
            target, transform = mapped
            state[target] = as_float32(transform(_tensor(value, name)), name)
        else:
            kernels[name] = as_float32(_tensor(value, name), name)
    hints = dict(HINTS)
    if kernels:
        hints["resample_filter"] = _resample_filter(kernels)
    if "latent_avg" in top:
        state["mapping.w_avg"] = as_float32(
            _tensor(top["latent_avg"], "latent_avg").reshape(-1), "latent_avg"
        )
        centre = "latent_avg"
    else:
        centre = "no latent_avg: truncation centre estimated"
    layout = "converted checkpoint" if args is None else "train.py checkpoint"
    return Checkpoint(
        FORMAT if args is None else FORMAT_TRAIN,
        state,
        hints,
        f"rosinality stylegan2-pytorch {layout}, g_ema ({centre})",
    )


def _resample_filter(kernels: dict[str, torch.Tensor]) -> torch.Tensor:
    """NVIDIA's filter from rosinality's blur / up-sampling kernels (the filter times the up-sampling
    gain 4, whatever taps the model was trained with); all of them must agree."""
    filters = {name: k / k.sum() if float(k.sum()) else k for name, k in kernels.items()}
    return single_filter(filters, "a rosinality checkpoint")


def _tensor(value: Any, name: str) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise CheckpointError(f"{name} is a {type(value).__name__}, not a tensor")
    return value


def nvlabs_name(name: str) -> tuple[str, Transform] | None:
    """NVIDIA's name for a rosinality tensor and the reshape it needs; None for a resampling kernel."""
    if m := re.fullmatch(r"style\.(\d+)\.(weight|bias)", name):  # style.0 is the PixelNorm
        return f"mapping.fc{int(m[1]) - 1}.{m[2]}", lambda t: t
    if name == "input.input":
        return "synthesis.b4.const", lambda t: t[0]
    if m := re.fullmatch(r"noises\.noise_(\d+)", name):
        return f"{_noise_layer(int(m[1]))}.noise_const", lambda t: t[0, 0]
    if m := re.fullmatch(r"(conv1|to_rgb1|convs\.(\d+)|to_rgbs\.(\d+))\.(.+)", name):
        part = m[4]
        if part in _FIXED_KERNELS:
            return None
        if part in _LAYER_PARTS:
            target, transform = _LAYER_PARTS[part]
            return f"{_layer(m[1])}.{target}", transform
    raise unsupported(
        f"a rosinality-style checkpoint with a tensor {name!r} that StyleGAN2's g_ema does not have"
    )


def _layer(module: str) -> str:
    if module == "conv1":
        return "synthesis.b4.conv1"
    if module == "to_rgb1":
        return "synthesis.b4.torgb"
    kind, index = module.split(".")
    n = int(index)
    if kind == "to_rgbs":
        return f"synthesis.b{2 ** (n + 3)}.torgb"
    # convs.{2j} is the up-sampling conv of block 2^(j+3), convs.{2j+1} the conv after it.
    return f"synthesis.b{2 ** (n // 2 + 3)}.conv{n % 2}"


def _noise_layer(i: int) -> str:
    if i == 0:
        return "synthesis.b4.conv1"
    # noise_{2j+1} / noise_{2j+2} feed the two convs of block 2^(j+3).
    return f"synthesis.b{2 ** ((i - 1) // 2 + 3)}.conv{(i - 1) % 2}"
