"""`run.py prep`: collect and prepare an image data set for StyleGAN2 training."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from installation.dataset.options import CROPS  # light: no OpenCV behind it

NAME = "prep"
HELP = "build a StyleGAN2 training data set (dataset_tool.py layout) from folders, images and videos"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "sources",
        nargs="+",
        metavar="SRC",
        type=Path,
        help="folders (searched recursively), image files and video files",
    )
    parser.add_argument(
        "--out",
        required=True,
        type=Path,
        metavar="DATASET",
        help="DATASET.zip, or a folder; report and .prep.json go next to it",
    )
    parser.add_argument(
        "--size",
        required=True,
        type=int,
        help="output width and height in pixels: a power of two (128, 256, 512, 1024, 2048)",
    )
    parser.add_argument(
        "--crop",
        default="center",
        choices=CROPS,
        help="how to make pictures square: center crop, pad, stretch, or crop "
        "to the most detailed region (default: center)",
    )
    parser.add_argument(
        "--pad-fill",
        default="black",
        metavar="COLOR|mirror",
        help="for --crop pad: a color (name, #rrggbb or r,g,b) or 'mirror' "
        "for mirrored edges (default: black)",
    )
    parser.add_argument(
        "--background",
        default="white",
        metavar="COLOR",
        help="color laid under transparent pixels (default: white)",
    )
    parser.add_argument(
        "--video-every",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="take one video frame every this many seconds (default: 1)",
    )
    parser.add_argument(
        "--min-size",
        type=int,
        metavar="N",
        help="skip sources whose shorter side is under N px (default: half of --size)",
    )
    parser.add_argument(
        "--dedupe",
        type=int,
        default=6,
        metavar="THRESHOLD",
        help="remove near-duplicates whose 64-bit perceptual hashes differ in at "
        "most THRESHOLD bits; 0 turns that off (exact duplicates always go; default: 6)",
    )
    parser.add_argument(
        "--xflip",
        action="store_true",
        help="record that the data set is meant to be mirrored: NVIDIA's trainer "
        "flips at training time with --mirror=1, so pictures are not doubled here; "
        "mirrored copies also count as near-duplicates",
    )
    parser.add_argument(
        "--labels-from-folders",
        action="store_true",
        help="class labels from the first-level sub-folder names of each SRC folder",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        metavar="N",
        help="processes decoding and resizing in parallel (default: %(default)s)",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace an existing DATASET")


def run(args: argparse.Namespace) -> int:
    from installation.dataset.options import PrepOptions, parse_color
    from installation.dataset.pipeline import prepare
    from installation.dataset.sources import shown

    options = PrepOptions(
        size=args.size,
        crop=args.crop,
        pad_fill=None if args.pad_fill.strip().lower() == "mirror" else parse_color(args.pad_fill),
        background=parse_color(args.background),
        min_size=args.min_size,
        video_every=args.video_every,
        dedupe=args.dedupe,
        xflip=args.xflip,
        labels_from_folders=args.labels_from_folders,
        workers=args.workers,
        overwrite=args.overwrite,
    )
    outcome = prepare(args.sources, args.out, options)
    counts = outcome.counts()
    print(
        f"{counts['written']} pictures written to {shown(outcome.out)} "
        f"({counts['skipped']} files skipped, "
        f"{counts['exact_duplicates'] + counts['near_duplicates']} duplicates removed, "
        f"{counts['reused']} files reused from an interrupted run)"
    )
    if outcome.classes:
        print(
            f"{len(outcome.classes)} classes: "
            + ", ".join(f"{i}={name}" for i, name in enumerate(outcome.classes))
        )
    print(f"report: {shown(outcome.report)}")
    if options.xflip:
        print("train with --mirror=1 (the trainer does the flipping)")
    return 0
