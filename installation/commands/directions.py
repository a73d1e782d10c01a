"""`run.py directions MODEL --out sheet.png`: see what each semantic direction does."""

from __future__ import annotations

import argparse

NAME = "directions"
HELP = "render a sheet of semantic directions (rows) at amounts -k..+k (columns)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", nargs="?", default="default", help="checkpoint file, or 'default'")
    parser.add_argument("--out", default="directions.png", help="PNG to write (default directions.png)")
    parser.add_argument("--method", choices=("sefa", "ganspace"), default="sefa")
    parser.add_argument("--count", type=int, default=8, help="directions, strongest first (default 8)")
    parser.add_argument("--steps", type=int, default=7, help="columns, odd to include 0 (default 7)")
    parser.add_argument("--extent", type=float, default=1.0, help="amounts run from -k to +k (default 1)")
    parser.add_argument("--scale", type=float, default=3.0, help="sigmas at amount 1 (default 3)")
    parser.add_argument("--layers", default="all", help='ws range: all, coarse, middle, fine or "A-B"')
    parser.add_argument("--seed", type=int, default=0, help="picture the directions start from")
    parser.add_argument("--psi", type=float, default=0.7, help="truncation of that picture (default 0.7)")
    parser.add_argument(
        "--class", dest="class_idx", type=int, default=None, help="class (conditional models)"
    )
    parser.add_argument("--samples", type=int, default=10000, help="w samples for GANSpace (default 10000)")
    parser.add_argument("--cell", type=int, default=128, help="pixels per picture (default 128)")
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    import numpy as np

    from installation.errors import UserError
    from installation.model.imaging import write_png
    from installation.model.loading import load_model, pick_device
    from installation.motion.directions import cache_path, ganspace, sefa
    from installation.motion.latents import layer_slice, seed_z
    from installation.motion.sheet import direction_sheet
    from installation.motion.space import LatentSpace
    from installation.show.schema import LayerRange

    if not 1 <= args.count <= 512 or not 1 <= args.steps <= 64 or args.cell < 16:
        raise UserError("--count is 1-512, --steps 1-64 and --cell at least 16")
    try:
        layer_range = LayerRange().convert(args.layers, Path.cwd())
    except ValueError as error:
        raise UserError(f"--layers: {error}") from None
    G = load_model(args.model, pick_device(args.device))
    space = LatentSpace.from_generator(G)
    layers = layer_slice(layer_range, space.num_ws)
    if args.method == "sefa":
        directions = sefa(G.state_dict(), layers, space, args.count)
    else:
        directions = ganspace(space, args.samples, cache_path(args.model)).first(args.count)
    labels = space.labels([0 if args.class_idx is None else args.class_idx])
    sheet = direction_sheet(
        G,
        space,
        directions,
        layers,
        np.linspace(-args.extent, args.extent, args.steps),
        scale=args.scale,
        base_z=seed_z(args.seed, space.z_dim),
        psi=args.psi,
        cell=args.cell,
        labels=labels,
    )
    write_png(args.out, sheet)
    print(f"wrote {args.out}: {len(directions)} {args.method} directions x {args.steps} amounts")
    return 0
