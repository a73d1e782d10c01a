"""`run.py check SHOW`: validate a show file without running it: everything the loader checks,
then the model file, read as `play` reads it (safely), and the keyframes against its sizes."""

from __future__ import annotations

import argparse

NAME = "check"
HELP = "validate a show file without running it (exit 2 with the reason if it is invalid)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("show", help="show file (.toml)")


def model_config(show):
    """The GeneratorConfig of the show's model; a file is loaded as `play` loads it, so a
    corrupt or hostile checkpoint fails here (the embedded default is built in, not read)."""
    from installation.model.default import default_config
    from installation.model.loading import DEFAULT_MODEL, load_model

    if show.model.path == DEFAULT_MODEL:
        return default_config()
    return load_model(str(show.model.path), "cpu").config


def canvas_line(show, config) -> str:
    """What render.canvas paints on this model ('' without one), or the show's error for it."""
    from installation.errors import UserError
    from installation.model.canvas import canvas_geometry
    from installation.show.loader import show_error

    if not show.render.canvas:
        return ""
    try:
        native, (rows, cols), cell = canvas_geometry(config, show.render.canvas)
    except UserError as error:
        raise show_error(show, ("render", "canvas"), str(error)) from None
    if (rows, cols) == native:
        return f"{show.render.canvas}: the model's own shape"
    width, height = round(cols * cell), round(rows * cell)
    return f"{show.render.canvas}: {width}x{height} px ({rows}x{cols} cells, model {native[0]}x{native[1]})"


def run(args: argparse.Namespace) -> int:
    from installation.errors import CheckpointError
    from installation.motion.keyframes import check_keyframes
    from installation.params.builtin import builtin_parameters
    from installation.show.loader import load_show, show_error

    show = load_show(args.show)
    try:
        config = model_config(show)
    except CheckpointError as error:
        raise show_error(show, ("model", "path"), str(error)) from None
    check_keyframes(show, config)
    canvas = canvas_line(show, config)
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
    print(
        f"  model:      {show.model.path} ({config.img_resolution} px, z {config.z_dim}, w {config.w_dim}"
        + (f", {config.c_dim} classes)" if config.c_dim else ")")
    )
    if canvas:
        print(f"  canvas:     {canvas}")
    print(f"  motion:     {path}, {period} per period")
    print(f"  parameters: {len(show.parameters)} ({', '.join(declared) or 'built-ins only'})")
    return 0
