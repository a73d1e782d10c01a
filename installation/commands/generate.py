"""`run.py generate MODEL --seeds 0-3`: images from seeds, as NVIDIA's generate.py would draw them."""

from __future__ import annotations

import argparse

from installation.canvas import DEFAULT_FILL, FILLS
from installation.tiles import add_tile_arguments, tile_choice

NAME = "generate"
HELP = "render images from seeds (z = RandomState(seed).randn, NVIDIA's convention)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", nargs="?", default="default", help="checkpoint file, or 'default'")
    parser.add_argument("--seeds", default="0-3", help="e.g. 0-3,7 (default 0-3)")
    parser.add_argument("--psi", type=float, default=1.0, help="truncation psi (default 1)")
    parser.add_argument("--cutoff", type=int, default=None, help="truncate only the first N ws")
    parser.add_argument("--noise", choices=("const", "random", "none"), default="const")
    parser.add_argument(
        "--class", dest="class_idx", type=int, default=None, help="label of a conditional model"
    )
    parser.add_argument("--outdir", default="out", help="folder for seedNNNN.png (default ./out)")
    parser.add_argument("--raw", default=None, help="also write raw float32 images and ws to this .npz")
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda")
    parser.add_argument(
        "--backend",
        default="torch",
        help="render backend: torch (default: the reference arithmetic), torch-compiled, "
        "onnxruntime..., or auto (the fastest here)",
    )
    parser.add_argument(
        "--precision",
        default="fp32",
        choices=("fp32", "mixed", "bf16", "fp16"),
        help="generator arithmetic (default fp32)",
    )
    parser.add_argument("--batch", type=int, default=4, help="seeds per forward pass")
    parser.add_argument(
        "--canvas",
        default="",
        help='paint this shape natively: an aspect "16:9" or a size in model pixels "1792x1024"',
    )
    parser.add_argument(
        "--canvas-fill",
        choices=FILLS,
        default=DEFAULT_FILL,
        help=f"how the constant grows (default {DEFAULT_FILL})",
    )
    add_tile_arguments(parser)
    parser.add_argument(
        "--rotate",
        type=float,
        default=0.0,
        help="StyleGAN3: rotate the picture by DEG degrees (gen_images.py's)",
    )
    parser.add_argument(
        "--translate",
        default="0,0",
        help="StyleGAN3: shift the picture by X,Y (fractions of its size; gen_images.py's convention)",
    )


def parse_translate(text: str) -> tuple[float, float]:
    from installation.errors import UserError

    try:
        x, y = (float(part) for part in text.split(","))
    except ValueError:
        raise UserError(f"--translate {text!r}: give two numbers as X,Y, e.g. 0.1,-0.05") from None
    return x, y


def class_labels(c_dim: int, class_idx: int | None, n: int):
    import torch

    from installation.errors import UserError

    if c_dim == 0:
        if class_idx is not None:
            raise UserError("--class given, but this model is not conditional")
        return None
    if class_idx is None or not 0 <= class_idx < c_dim:
        raise UserError(f"this model is conditional: give --class between 0 and {c_dim - 1}")
    labels = torch.zeros(n, c_dim)
    labels[:, class_idx] = 1
    return labels


def run(args: argparse.Namespace) -> int:
    tile = tile_choice(args)  # before torch loads: a wrong flag is said at once
    from pathlib import Path

    import numpy as np
    import torch

    from installation.backends import create_backend
    from installation.canvas import check_canvas
    from installation.model.canvas import describe_canvas, with_canvas
    from installation.model.imaging import parse_seeds, seed_latents, to_uint8, write_png
    from installation.model.loading import load_model, pick_device
    from installation.model.stylegan3 import input_transform_for
    from installation.model.tiles import tiled

    seeds = parse_seeds(args.seeds)
    translate = parse_translate(args.translate)
    device = pick_device(args.device)
    check_canvas(args.canvas)  # before the model loads
    G = with_canvas(load_model(args.model, device), args.canvas, args.canvas_fill)
    if args.canvas:
        print(f"canvas {args.canvas}: {describe_canvas(G) or 'the shape the model already has'}")
    G = tiled(G, tile)
    if tile is not None:
        print(G.config.tile.describe(G.img_resolution))
    transform = input_transform_for(G, args.rotate, translate, device)
    backend = create_backend(G, device, args.precision, args.backend, background=False)
    if args.backend != "torch" or args.precision != "fp32":
        print(f"rendering with {backend.name}, {args.precision}")
    labels = class_labels(G.c_dim, args.class_idx, len(seeds))
    z_all = seed_latents(seeds, G.z_dim)
    raw_imgs, raw_ws = [], []
    outdir = Path(args.outdir)
    with torch.inference_mode():
        for start in range(0, len(seeds), max(1, args.batch)):
            chunk = slice(start, start + max(1, args.batch))
            z = z_all[chunk].to(device)
            c = None if labels is None else labels[chunk].to(device)
            ws = G.mapping(z, c, truncation_psi=args.psi, truncation_cutoff=args.cutoff)
            img = backend.render(ws, noise_mode=args.noise, **transform)
            for seed, pixels in zip(seeds[chunk], to_uint8(img), strict=True):
                write_png(outdir / f"seed{seed:04d}.png", pixels)
            raw_imgs.append(img.float().cpu().numpy())
            raw_ws.append(ws.float().cpu().numpy())
    print(f"wrote {len(seeds)} images to {outdir}/")
    if args.raw:
        np.savez(args.raw, img=np.concatenate(raw_imgs), ws=np.concatenate(raw_ws), seeds=np.array(seeds))
        print(f"wrote raw images and ws to {args.raw}")
    return 0
