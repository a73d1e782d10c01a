"""`run.py displays`: the displays a show can play on, with their sizes and refresh rates."""

from __future__ import annotations

import argparse

NAME = "displays"
HELP = "list the displays (number, name, size, position, refresh rate) for display.screen"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    from installation.display.displays import list_displays
    from installation.display.screen import init_video

    init_video()
    for display in list_displays():
        print(display.line())
    return 0
