"""`run.py play [SHOW]`: play a show in a window (the default command: `run.py` plays shows/default.toml)."""

from __future__ import annotations

import argparse
from pathlib import Path

from installation.display.layout import parse_size
from installation.tiles import add_tile_arguments, tile_choice

NAME = "play"
HELP = "play a show full-screen (default: shows/default.toml); edits to the show file apply live"
DEFAULT_SHOW = Path(__file__).resolve().parents[2] / "shows" / "default.toml"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "show", nargs="?", default=str(DEFAULT_SHOW), help="show file (default: shows/default.toml)"
    )
    parser.add_argument("--windowed", action="store_true", help="a window instead of full-screen")
    parser.add_argument(
        "--size", default="1280x720", help="window size when not full-screen (default 1280x720)"
    )
    parser.add_argument(
        "--device", default=None, help="auto, cpu or cuda (default: the show's render.device)"
    )
    parser.add_argument("--backend", default="auto", help="render backend (default auto: the fastest here)")
    parser.add_argument(
        "--seconds", type=float, default=None, help="stop after N seconds (tests, benchmarks)"
    )
    parser.add_argument(
        "--fps",
        type=float,
        default=None,
        help="screen refreshes per second (default: the display's refresh rate, else 60); "
        "without a GPU drawing costs CPU time",
    )
    parser.add_argument(
        "--record",
        metavar="FILE.mp4",
        default=None,
        help="also record the rendered frames to an mp4 (30 fps, at --size)",
    )
    parser.add_argument(
        "--output",
        action="append",
        default=[],
        metavar="KIND:TARGET",
        help="also send the frames to ndi:NAME, a stream URL (udp://HOST:PORT, tcp://...), vcam, "
        "syphon:NAME or spout:NAME; options after commas: size=WxH, fps=N, fit=fill (repeatable)",
    )
    parser.add_argument(
        "--headless", action="store_true", help="no window: the frames go only to the outputs"
    )
    parser.add_argument(
        "--cuda-graphs", action="store_true", help="replay CUDA graphs of the render call (CUDA only)"
    )
    parser.add_argument(
        "--health",
        metavar="[HOST:]PORT",
        default=None,
        help="answer GET /health on this port (loopback unless HOST is given): frame rates, sync state",
    )
    sync = parser.add_argument_group("several machines in sync (docs/deploy.md)")
    sync.add_argument(
        "--lead",
        metavar="HOST:PORT,...",
        default=None,
        help="lead: send the show clock and every parameter write to these followers (or a multicast group)",
    )
    sync.add_argument(
        "--follow",
        metavar="[HOST:]PORT",
        default=None,
        help="follow a leader: listen on this UDP port (or multicast group); play its show time and writes",
    )
    add_tile_arguments(sync)


def run(args: argparse.Namespace) -> int:
    from installation.errors import UserError
    from installation.instance import single_instance
    from installation.live import play
    from installation.play_health import PlayHealth
    from installation.show.loader import load_show
    from installation.sinks.outputs import parse_output
    from installation.sync.session import SyncSession

    if args.fps is not None and args.fps <= 0:
        raise UserError("--fps must be above 0")
    outputs = [parse_output(text) for text in args.output]
    show = load_show(args.show)
    if args.headless and not (outputs or show.outputs or args.record):
        raise UserError(
            "--headless shows nothing: give an --output (or [[outputs]] in the show, or --record)"
        )
    tile = tile_choice(args)
    sync = SyncSession(args.lead, args.follow)
    health = PlayHealth(args.health, sync) if args.health else None

    def setup(live, presenter) -> None:
        sync.setup(live, presenter)
        if health is not None:
            health.attach(live, lambda: presenter.displayed_fps)

    with single_instance(show, controls=not sync.follows):
        try:
            play(
                show,
                windowed=args.windowed,
                size=parse_size(args.size),
                device=args.device,
                backend=args.backend,
                seconds=args.seconds,
                fps=args.fps,
                cuda_graphs=args.cuda_graphs,
                record=args.record,
                outputs=outputs,
                headless=args.headless,
                setup=setup,
                controls=not sync.follows,  # a follower's only control is its leader
                tile=tile,
            )
        finally:
            sync.stop()
            if health is not None:
                health.close()
    return 0
