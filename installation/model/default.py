"""The embedded default model: a StyleGAN2 generator built deterministically, no download.

It is an untrained network whose weights come from a fixed numpy seed (numpy's legacy
generator is stable across versions and platforms), shaped so that it looks good full-screen:
- the 4x4 constant is a set of smooth low-frequency waves, so pictures have large forms;
- noise strengths are moderate, giving organic texture at the fine layers;
- the output is tone-mapped by folding a per-channel scale and offset, measured on sampled
  images, into the ToRGB layers, so typical frames fill [-1, 1] instead of clipping into
  saturated blobs. The result is still an ordinary StyleGAN2 generator (exportable, loadable).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import os
from pathlib import Path

import numpy as np
import torch

from installation.model.config import GeneratorConfig
from installation.model.generator import Generator

log = logging.getLogger(__name__)

SEED = 20261127
RESOLUTION = 256
CHANNELS = {4: 256, 8: 256, 16: 256, 32: 192, 64: 128, 128: 64, 256: 32}
Z_DIM = W_DIM = 256
TONE_SAMPLES = 8
TONE_PERCENTILE = 98.0  # this share of pixel values lands inside [-1, 1]


def default_config() -> GeneratorConfig:
    return GeneratorConfig(
        z_dim=Z_DIM,
        w_dim=W_DIM,
        c_dim=0,
        img_resolution=RESOLUTION,
        img_channels=3,
        mapping_layers=4,
        mapping_features=(Z_DIM,) * 4 + (W_DIM,),
        channels=dict(CHANNELS),
        architecture="skip",
        conv_clamp=256.0,
        num_fp16_res=4,
        extra={"format": "embedded default", "description": "embedded default model (procedural, untrained)"},
    )


def _waves(rng: np.random.RandomState, channels: int, size: int) -> np.ndarray:
    """Smooth random plane waves: gives the picture large coherent forms instead of speckle."""
    yy, xx = np.meshgrid(np.linspace(-1, 1, size), np.linspace(-1, 1, size), indexing="ij")
    freq = rng.uniform(0.3, 1.6, size=(channels, 2)) * rng.choice([-1, 1], size=(channels, 2))
    phase = rng.uniform(0, 2 * math.pi, size=(channels, 1, 1))
    arg = freq[:, 0, None, None] * xx * math.pi + freq[:, 1, None, None] * yy * math.pi + phase
    return (np.sin(arg) * math.sqrt(2)).astype(np.float32)


def _random_state(G: Generator, rng: np.random.RandomState) -> dict[str, torch.Tensor]:
    state = {}
    for name, tensor in G.state_dict().items():
        shape = tuple(tensor.shape)
        if name.endswith("noise_strength"):
            value = np.float32(rng.uniform(0.02, 0.1))
        elif name.endswith("noise_const"):
            value = rng.standard_normal(shape)
        elif name.endswith("affine.bias"):
            value = np.ones(shape)
        elif name.endswith(".bias") or name.endswith("w_avg"):
            value = rng.standard_normal(shape) * 0.1 if name.startswith("synthesis") else np.zeros(shape)
        elif name == "synthesis.b4.const":
            value = _waves(rng, shape[0], shape[1])
        else:
            value = rng.standard_normal(shape)
            if name.startswith("mapping.fc"):
                value = value / G.config.mapping_lr_multiplier
        state[name] = torch.from_numpy(np.asarray(value, dtype=np.float32).reshape(shape))
    return state


@torch.no_grad()
def _fold_tone_map(G: Generator, rng: np.random.RandomState) -> None:
    """Centre every block's ToRGB output, then scale and shift the summed image so sampled
    images span [-1, 1] per channel."""
    z = torch.from_numpy(rng.standard_normal((TONE_SAMPLES, G.z_dim)).astype(np.float32))
    ws = G.mapping(z)
    # A block's RGB has a non-zero mean (activations are mostly positive); up-sampling pads with
    # zeros, so an uncentred low-resolution RGB would leave a frame around the picture.
    means = {}
    hooks = [
        getattr(G.synthesis, f"b{res}").torgb.register_forward_hook(
            lambda module, args, out, res=res: means.__setitem__(res, out.mean(dim=(0, 2, 3)))
        )
        for res in G.synthesis.block_resolutions
    ]
    G.synthesis(ws, noise_mode="const")
    for hook in hooks:
        hook.remove()
    for res, mean in means.items():
        getattr(G.synthesis, f"b{res}").torgb.bias.sub_(mean)
    G.clear_cache()
    img = G.synthesis(ws, noise_mode="const")
    flat = img.transpose(0, 1).reshape(img.shape[1], -1).numpy()
    centre = flat.mean(axis=1)
    spread = np.percentile(np.abs(flat - centre[:, None]), TONE_PERCENTILE, axis=1)
    scale = torch.from_numpy((1.0 / np.maximum(spread, 1e-6)).astype(np.float32))
    shift = torch.from_numpy((-centre).astype(np.float32))
    # img = sum_r up(rgb_r): scaling every ToRGB scales the sum; the offset goes on the last one,
    # which is not up-sampled (the up-sampler's zero padding would dim a constant at the edges).
    for res in G.synthesis.block_resolutions:
        torgb = getattr(G.synthesis, f"b{res}").torgb
        torgb.weight.mul_(scale[:, None, None, None])
        torgb.bias.add_(shift if res == G.img_resolution else 0).mul_(scale)
    G.clear_cache()


def _build_state(config: GeneratorConfig) -> dict[str, torch.Tensor]:
    rng = np.random.RandomState(SEED)
    G = Generator.from_state_dict(config, _random_state(Generator(config), rng))
    with torch.no_grad():
        z = torch.from_numpy(rng.standard_normal((1024, Z_DIM)).astype(np.float32))
        G.mapping.w_avg.copy_(G.mapping(z)[:, 0].mean(0))
    _fold_tone_map(G, rng)
    return {k: v.clone() for k, v in G.state_dict().items()}


def _cache_file() -> Path:
    """Where the built weights are kept: a restart after a crash should not pay for the build
    (seconds on a busy 2-core machine). The name carries a hash of this file, so any change to
    how the model is built makes a new one."""
    from installation.backends.cache import user_cache_root

    key = hashlib.sha1(Path(__file__).read_bytes() + torch.__version__.encode()).hexdigest()[:16]
    return user_cache_root() / f"default-model-{key}.pt"


@functools.lru_cache(maxsize=1)
def _default_state() -> tuple[GeneratorConfig, dict[str, torch.Tensor]]:
    config = default_config()
    path = _cache_file()
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        Generator.from_state_dict(config, state)  # a damaged file fails here and is rebuilt
        return config, state
    except Exception:  # noqa: BLE001 - missing, unreadable or stale: build it again
        pass
    state = _build_state(config)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.partial")
        torch.save(state, partial)
        partial.replace(path)
    except OSError as error:  # a read-only home or a full disk only costs the next start time
        log.warning("could not cache the default model in %s: %s", path.parent, error)
    return config, state


def default_generator(device: torch.device | str = "cpu") -> Generator:
    """A fresh copy of the embedded default model."""
    config, state = _default_state()
    return Generator.from_state_dict(config, state).to(device)
