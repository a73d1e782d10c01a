"""`run.py gallery SHOW`: play a show unattended, for months: restarts, schedule, health page."""

from __future__ import annotations

import argparse

NAME = "gallery"
HELP = "play a show unattended: the renderer restarts on a crash or hang, follows opening hours, serves /health"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("show", nargs="?", default="shows/gallery_loop.toml", help="show file (default: %(default)s)")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from installation.gallery.service import Gallery

    return Gallery(Path(args.show)).run()
