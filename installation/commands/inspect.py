"""`run.py inspect MODEL`: what a checkpoint holds, and optionally a contact sheet of seeds."""

from __future__ import annotations

import argparse

NAME = "inspect"
HELP = "describe a model (format, sizes, channels, fp16 blocks, conv_clamp, filter) and draw a contact sheet"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", nargs="?", default="default", help="checkpoint file, or 'default'")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument("--grid", type=int, default=0, help="render a contact sheet of N seeds (0..N-1)")
    parser.add_argument("--out", default="sheet.png", help="contact sheet path (with --grid)")
    parser.add_argument("--psi", type=float, default=1.0)


def describe(G) -> dict:
    cfg = G.config
    if cfg.architecture == "stylegan3":
        return _describe_stylegan3(G)
    return {
        **_common(cfg),
        "architecture": cfg.architecture,
        "channels": {str(r): c for r, c in sorted(cfg.channels.items())},
        "parameters": sum(p.numel() for p in G.parameters()),
        "fp16_blocks": cfg.fp16_resolutions,
        "conv_clamp": cfg.conv_clamp,
        "resample_filter": filter_taps(cfg.resample_filter),
        "noise_inputs": cfg.use_noise,
    }


def _common(cfg) -> dict:
    """What every generator's description starts with: its file and its latent spaces."""
    return {
        "format": cfg.extra.get("format", "unknown"),
        "description": cfg.extra.get("description", ""),
        "resolution": cfg.img_resolution,
        "img_channels": cfg.img_channels,
        "z_dim": cfg.z_dim,
        "w_dim": cfg.w_dim,
        "num_ws": cfg.num_ws,
        "c_dim": cfg.c_dim,
        "mapping_layers": cfg.mapping_layers,
    }


def _describe_stylegan3(G) -> dict:
    cfg = G.config
    return {
        **_common(cfg),
        "architecture": f"stylegan3 config {cfg.variant}",
        "input": f"{cfg.input.channels} Fourier features on {cfg.input.size[0]}x{cfg.input.size[1]} px",
        "layers": {
            layer.name: f"{layer.out_size[0]} px {layer.out_channels} ch {layer.kernel}x{layer.kernel}"
            f" up {layer.up} down {layer.down}{' fp16' if layer.use_fp16 else ''}"
            for layer in cfg.layers
        },
        "radial_filters": cfg.radial_filters,
        "parameters": sum(p.numel() for p in G.parameters()),
        "conv_clamp": cfg.conv_clamp,
        "noise_inputs": False,
    }


def filter_taps(kernel: tuple[tuple[float, ...], ...]) -> list[float] | list[list[float]]:
    """The up-sampling filter as a trainer names it: separable taps scaled to a first tap of 1
    (NVIDIA's default prints as [1, 3, 3, 1]); a filter that is not separable, row by row."""
    rows = [list(row) for row in kernel]
    taps = [sum(row) for row in rows]
    total = sum(taps)
    separable = total != 0 and all(
        abs(value - a * b / total) < 1e-6
        for a, row in zip(taps, rows, strict=True)
        for value, b in zip(row, taps, strict=True)
    )
    if not separable or taps[0] == 0:
        return [[round(value, 6) for value in row] for row in rows]
    scaled = [round(t / taps[0], 4) for t in taps]
    return [int(t) if t.is_integer() else t for t in scaled]


def run(args: argparse.Namespace) -> int:
    import json

    import torch

    from installation.commands.generate import class_labels
    from installation.model.imaging import contact_sheet, seed_latents, to_uint8, write_png
    from installation.model.loading import load_model

    G = load_model(args.model)
    info = describe(G)
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        width = max(map(len, info))
        for key, value in info.items():
            if key == "channels":
                value = "  ".join(f"{r}:{c}" for r, c in value.items())
            elif key == "layers":
                value = "\n".join(f"{'':<{width}}  {name}: {text}" for name, text in value.items()).lstrip()
            elif key == "parameters":
                value = f"{value:,}"
            print(f"{key:<{width}}  {value}")
    if args.grid > 0:
        seeds = list(range(args.grid))
        with torch.inference_mode():
            c = class_labels(G.c_dim, 0 if G.c_dim else None, len(seeds))
            ws = G.mapping(seed_latents(seeds, G.z_dim), c, truncation_psi=args.psi)
            images = torch.cat([G.synthesis(ws[i : i + 4]) for i in range(0, len(seeds), 4)])
        write_png(args.out, contact_sheet(to_uint8(images)))
        if not args.json:
            print(f"contact sheet of seeds 0-{args.grid - 1} written to {args.out}")
    return 0
