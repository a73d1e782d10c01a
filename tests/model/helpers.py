"""Small random generators for tests: every architecture, conditional or not, in milliseconds."""

import torch

from installation.model import Generator, GeneratorConfig


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
