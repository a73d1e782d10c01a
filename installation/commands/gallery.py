"""`run.py gallery SHOW`: play a show unattended, for months: restarts, schedule, health page."""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "gallery"
HELP = (
    "play a show unattended: the renderer restarts on a crash or hang, follows opening hours, serves /health"
)
GALLERY_SHOW = Path(__file__).resolve().parents[2] / "shows" / "gallery_loop.toml"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "show", nargs="?", default=str(GALLERY_SHOW), help="show file (default: shows/gallery_loop.toml)"
    )


def run(args: argparse.Namespace) -> int:
    from installation.gallery.service import Gallery

    return Gallery(Path(args.show)).run()
