"""`run.py bench-prep`: how many images per second `prep` makes from 12-megapixel JPEGs."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from installation.dataset.options import check_size
from installation.errors import UserError

NAME = "bench-prep"
HELP = "benchmark `prep`: 1024 px pictures per second from generated 12-megapixel JPEGs"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--count",
        type=int,
        default=48,
        help="JPEGs to generate; fewer makes pool start-up weigh more (default: 48)",
    )
    parser.add_argument(
        "--workers",
        default="1,2",
        metavar="N[,N...]",
        help="process pool sizes to time, comma-separated (default: 1,2)",
    )
    parser.add_argument("--size", type=int, default=1024, help="output size, a power of two (default: 1024)")
    parser.add_argument("--megapixels", type=float, default=12.0, help="source size (default: 12)")
    parser.add_argument(
        "--json",
        type=Path,
        default=Path("out/bench-prep.json"),
        metavar="PATH",
        help="where to write the results (default: out/bench-prep.json)",
    )


def run(args: argparse.Namespace) -> int:
    from installation.dataset import bench

    try:
        workers = [int(n) for n in args.workers.split(",")]
    except ValueError:
        raise UserError(f"--workers: expected numbers like 1,2, got {args.workers!r}") from None
    if args.count < 1 or min(workers) < 1 or args.megapixels <= 0:
        raise UserError("--count, --workers and --megapixels must be positive")
    check_size(args.size)
    result = bench.run(args.count, workers, args.size, args.megapixels)
    print(bench.table(result))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=1))
    print(f"\nwritten: {args.json}")
    return 0
