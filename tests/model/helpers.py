"""Small random generators for tests: every architecture, conditional or not, in milliseconds."""

import dataclasses

import torch

from installation.model import Generator, GeneratorConfig
from installation.model.stylegan3 import StyleGAN3Generator


def tiny_config(
    architecture: str = "skip", c_dim: int = 0, resolution: int = 32, conv_clamp=256.0
) -> GeneratorConfig:
    blocks = [4 * 2**i for i in range(resolution.bit_length() - 2)]
    embed = 16 if c_dim else 0
    return GeneratorConfig(
        z_dim=16,
        w_dim=16,
        c_dim=c_dim,
        img_resolution=resolution,
        img_channels=3,
        mapping_layers=2,
        mapping_features=(16 + embed, 16, 16),
        channels={r: max(32 // (r // 8 or 1), 8) for r in blocks},
        architecture=architecture,
        conv_clamp=conv_clamp,
        num_fp16_res=2,
        embed_features=embed,
    )


def tiny_generator(seed: int = 0, **kwargs) -> Generator:
    torch.manual_seed(seed)
    G = Generator(tiny_config(**kwargs))
    with torch.no_grad():
        for name, p in G.named_parameters():
            if name.endswith("noise_strength"):
                p.fill_(0.1)
            elif name.endswith(".bias"):
                p.normal_(0, 0.1)
        G.mapping.w_avg.normal_()
    return G.requires_grad_(False).eval()


def first_layers_of(G: StyleGAN3Generator, layers: int = 1) -> StyleGAN3Generator:
    """A StyleGAN3 generator made of G's input, its first `layers` layers and its ToRGB layer at
    their size: G's own weights, filters and Fourier features in a network whose graphs build in
    a fraction of the full network's time."""
    cfg = G.config
    kept = cfg.layers[:layers]
    last, torgb = kept[-1], cfg.layers[-1]
    size = last.out_size
    name = f"L{layers}_{size[0]}_{torgb.out_channels}"
    rgb = dataclasses.replace(torgb, name=name, in_size=size, out_size=size)
    config = dataclasses.replace(cfg, layers=(*kept, rgb), img_resolution=size[0])
    old, wanted = f"synthesis.{torgb.name}.", {layer.name for layer in kept}
    state = {
        key.replace(old, f"synthesis.{name}."): tensor
        for key, tensor in G.state_dict().items()
        if not key.startswith("synthesis.L") or key.startswith(old) or key.split(".")[1] in wanted
    }
    return StyleGAN3Generator.from_state_dict(config, state).requires_grad_(False).eval()
