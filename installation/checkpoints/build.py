"""Checkpoint file -> ready `Generator`."""

from __future__ import annotations

import os

import torch

from installation.checkpoints.load import load_checkpoint
from installation.errors import CheckpointError
from installation.model import Generator, GeneratorConfig
from installation.model.stylegan3 import StyleGAN3Generator
from installation.model.stylegan3_config import StyleGAN3Config

# rosinality's train.py saves no truncation centre; generate.py estimates it from 4096 random z.
# A fixed seed makes the estimate, and so every truncated frame, the same on each load.
W_AVG_SAMPLES = 4096
W_AVG_SEED = 0


def load_generator(
    path: str | os.PathLike, device: str | torch.device = "cpu"
) -> Generator | StyleGAN3Generator:
    """The generator in `path`, in eval mode without gradients, on `device`."""
    ckpt = load_checkpoint(path)
    state = dict(ckpt.state)
    extra = {"format": ckpt.format, "description": ckpt.description, "path": str(path)}
    if ckpt.init_kwargs:
        extra["init_kwargs"] = ckpt.init_kwargs  # for building NVIDIA's own generator (bench --nvidia-repo)
    try:
        if ckpt.family == "stylegan3":
            config = StyleGAN3Config.from_state_dict(state, **ckpt.hints, extra=extra)
            return StyleGAN3Generator.from_state_dict(config, state).to(device)
        config = GeneratorConfig.from_state_dict(state, **ckpt.hints, extra=extra)
        estimate = "mapping.w_avg" not in state
        if estimate:
            state["mapping.w_avg"] = torch.zeros(config.w_dim)
        G = Generator.from_state_dict(config, state)
    except CheckpointError as e:
        raise CheckpointError(f"{path}: {e}") from None
    if estimate:
        _estimate_w_avg(G)
    return G.to(device)


@torch.no_grad()
def _estimate_w_avg(G: Generator) -> None:
    rng = torch.Generator().manual_seed(W_AVG_SEED)
    z = torch.randn(W_AVG_SAMPLES, G.z_dim, generator=rng)
    G.mapping.w_avg.copy_(G.mapping(z)[:, 0].mean(dim=0))
