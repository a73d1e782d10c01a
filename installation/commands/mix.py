"""`run.py mix A B --layers coarse --out mixed.pkl`: two models of one architecture blended by layer."""

from __future__ import annotations

import argparse

NAME = "mix"
HELP = "blend two models of one architecture layer by layer into a file the engine loads"
FORMATS = ("installation", "rosinality")  # NVIDIA's pickles need NVIDIA's own classes: not written


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from installation.model.mixing import LAYERS_HELP

    parser.add_argument("a", help="model A (the rest of the layers come from it)")
    parser.add_argument("b", help="model B (same architecture, e.g. a fine-tune of A)")
    parser.add_argument("--layers", default="all", help=f"which layers take B: {LAYERS_HELP} (default all)")
    parser.add_argument(
        "--amount", type=float, default=1.0, help="how far those layers go towards B (default 1)"
    )
    parser.add_argument(
        "--out", required=True, help="file to write (any suffix; run.py play and render load it)"
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="installation",
        help="installation: the engine's own file (any model); rosinality: a stylegan2-pytorch .pt "
        "(g_ema and latent_avg, as its convert_weight.py writes; skip models without labels)",
    )


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from installation.checkpoints.native import save_generator
    from installation.checkpoints.rosinality_writer import save_rosinality, unwritable_reason
    from installation.errors import UserError
    from installation.model.loading import load_model
    from installation.model.mixing import check_same_architecture, mixed_state, parse_layers

    if not 0 <= args.amount <= 1:
        raise UserError(f"--amount must be from 0 to 1, not {args.amount:g}")
    span = parse_layers(args.layers)
    A, B = load_model(args.a), load_model(args.b)
    check_same_architecture(A, B, Path(args.a).name, Path(args.b).name)
    if args.format == "rosinality" and (reason := unwritable_reason(A.config)) is not None:
        raise UserError(f"cannot write a rosinality file of {Path(args.a).name}: {reason}")
    A.load_state_dict(mixed_state(A, B, args.amount, span))
    description = (
        f"{Path(args.a).name} with {args.layers} layers {args.amount:g} of the way to {Path(args.b).name}"
    )
    if args.format == "rosinality":
        save_rosinality(A, args.out)
        if A.config.conv_clamp is not None:
            print(
                f"note: rosinality's generator has no activation clamp (this model clamps at "
                f"{A.config.conv_clamp:g}); pixels differ only where the clamp acted"
            )
    else:
        save_generator(A, args.out, description)
    print(f"wrote {args.out} ({args.format}): {description}")
    return 0
