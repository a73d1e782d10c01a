"""`run.py check SHOW`: validate a show file without running it."""

from __future__ import annotations

import argparse

NAME = "check"
HELP = "validate a show file without running it (exit 2 with the reason if it is invalid)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("show", help="show file (.toml)")


def run(args: argparse.Namespace) -> int:
    from installation.params.builtin import builtin_parameters
    from installation.show.loader import load_show

    show = load_show(args.show)
    motion = show.motion
    builtin = {p.name for p in builtin_parameters(motion.offered_directions)}
    declared = [p.name for p in show.parameters if p.name not in builtin]
    period = f"{motion.period_beats:g} beats" if motion.period_beats else f"{motion.period_seconds:g} s"
    if motion.path == "keyframes":
        path = f"{len(motion.keyframes)} keyframes ({motion.interpolation})"
    else:
        first = motion.keyframes[0]
        path = f"{motion.path} around keyframe {getattr(first, 'name', first)}"
    print(f"ok: {show.path}")
    print(f"  show:       {show.info.name}")
    print(f"  model:      {show.model.path}")
    print(f"  motion:     {path}, {period} per period")
    print(f"  parameters: {len(show.parameters)} ({', '.join(declared) or 'built-ins only'})")
    return 0
