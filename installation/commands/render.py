"""`run.py render SHOW --out walk.mp4`: a show rendered to a video or PNG files, frame k at t = k / fps.
With `--audio song.wav`, a music video: the song drives the show's audio mappings and is muxed in."""

from __future__ import annotations

import argparse
import os

NAME = "render"
HELP = (
    "render a show to an mp4 (--out) or PNG frames (--frames), deterministically; default: one seamless loop"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("show", help="show file")
    parser.add_argument(
        "--seconds",
        type=float,
        default=None,
        help="duration (default: one loop of the motion, which then loops with no seam)",
    )
    parser.add_argument("--fps", type=float, default=30.0, help="frames per second (default 30)")
    parser.add_argument(
        "--audio",
        metavar="SONG",
        default=None,
        help="a WAV, FLAC or MP3 file: it drives the show's [[mappings]] audio = ... and is the "
        "video's sound; the video lasts as long as the song",
    )
    parser.add_argument(
        "--size",
        default=None,
        help="WIDTHxHEIGHT, frames placed by the show's display.fit (default: as rendered)",
    )
    parser.add_argument(
        "--out",
        default=None,
        help="mp4 file to write (default walk.mp4 unless --frames is given); written whole or not at all",
    )
    parser.add_argument("--frames", default=None, help="folder to write frame_000000.png ... into")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --out file")
    parser.add_argument(
        "--device", default=None, help="auto, cpu or cuda (default: the show's render.device)"
    )
    parser.add_argument("--backend", default="auto", help="render backend (default auto: the fastest here)")
    parser.add_argument(
        "--precision",
        default=None,
        choices=("fp32", "mixed", "bf16", "fp16"),
        help="generator arithmetic (default: the show's render.precision)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="CPU threads to render with (default: all cores). Fixed, not timed, because the count "
        "changes the last bits of the arithmetic: the same inputs then give the same bytes",
    )


def loop_seconds(show) -> float:
    """One loop of the show's motion at its default speed and tempo."""
    from installation.errors import UserError
    from installation.motion.clock import period_seconds
    from installation.params.bus import ParameterBus

    snapshot = ParameterBus(show.parameters, clock=lambda: 0.0).snapshot()
    if float(snapshot["speed"]) <= 0:
        raise UserError("this show's speed is 0 by default, so it has no loop: give --seconds")
    return period_seconds(show.motion, snapshot) / float(snapshot["speed"])


def run(args: argparse.Namespace) -> int:
    import sys
    from contextlib import nullcontext
    from pathlib import Path

    import torch

    from installation.display.layout import parse_size
    from installation.errors import UserError
    from installation.live import load_renderer
    from installation.model.canvas import canvas_pixels
    from installation.motion.source import ShowSource
    from installation.params.bus import ParameterBus
    from installation.show.loader import load_show
    from installation.sinks import PngFolder, Progress, VideoFile, frame_times, render_offline
    from installation.sinks.outfile import check_video_out, check_video_size, written_whole

    # Every argument is checked before the model loads.
    if args.fps <= 0:
        raise UserError("--fps must be above 0")
    asked = parse_size(args.size) if args.size else None
    threads = (os.cpu_count() or 1) if args.threads is None else args.threads
    if threads < 1:
        raise UserError(f"--threads {threads}: give at least 1")
    out = Path(args.out).expanduser() if args.out else (None if args.frames else Path("walk.mp4"))
    if out is not None:
        check_video_out(out, args.overwrite)
        if asked is not None:
            check_video_size(asked)
    show = load_show(args.show)
    song = _analyse(show, args) if args.audio else None
    seconds = song.seconds if song else args.seconds if args.seconds is not None else loop_seconds(show)
    times = frame_times(seconds, args.fps, cover=song is not None)
    if not times:
        raise UserError(f"{seconds:g} s at {args.fps:g} fps is no frame at all")
    renderer = load_renderer(show, args.device, args.precision, args.backend)
    G, backend = renderer.G, renderer.backend
    if song is not None:
        from installation.audio.song_source import SongSource

        source = SongSource(show, G, song)
    else:
        source = ShowSource(
            show, G, ParameterBus(show.parameters, clock=lambda: 0.0)
        )  # defaults, no live input
    stop_res = show.render.max_resolution or None
    if stop_res is not None and stop_res not in backend.resolutions:
        stop_res = max([r for r in backend.resolutions if r <= stop_res], default=None)
    batch = (
        int(show.render.batch) if show.render.batch != "auto" else (8 if backend.device.type == "cuda" else 1)
    )
    backend.prepare(stop_res, batch)  # a compiled backend builds its graph first: full speed from frame 0
    if source.bend_layouts:  # and the one its bent frames take
        backend.prepare(stop_res, batch, source.bend_layouts)
    if backend.device.type == "cpu":
        torch.set_num_threads(threads)
    rendered = canvas_pixels(G, stop_res)
    size = asked or rendered
    if out is not None and asked is None:
        check_video_size(size)
    sound = (song.samples, song.rate) if song else None
    progress = Progress(len(times))
    with written_whole(out) if out else nullcontext() as partial:
        sinks = ([VideoFile(partial, args.fps, size, audio=sound)] if out else []) + (
            [PngFolder(args.frames)] if args.frames else []
        )
        try:
            render_offline(
                backend,
                source,
                times,
                sinks,
                stop_res=stop_res,
                size=size,
                mode=show.display.fit,
                background=show.display.background,
                batch=batch,
                progress=progress,
            )
        finally:
            for sink in sinks:
                sink.close()
    progress.finish()
    where = " and ".join(str(p) for p in (out, args.frames) if p) + (
        f", with the sound of {args.audio}" if song else ""
    )
    what = f"{len(times)} frames ({seconds:g} s at {args.fps:g} fps, {size[0]}x{size[1]})"
    print(f"wrote {what} to {where}", file=sys.stderr)
    return 0


def _analyse(show, args: argparse.Namespace):
    """The song, analysed whole before the first frame (a line on stderr says what was heard)."""
    import sys
    from pathlib import Path

    from installation.audio.offline import analyse_song
    from installation.errors import UserError

    if args.seconds is not None:
        raise UserError("--audio sets the duration (the song's); leave out --seconds")
    song = analyse_song(Path(args.audio).expanduser(), show.audio)
    tempo = f"{song.bpm:.1f} BPM (confidence {song.confidence:.2f})" if song.bpm else "no steady tempo"
    minutes, rest = divmod(song.seconds, 60)
    print(f"analysed {args.audio}: {int(minutes)}:{rest:05.2f}, {tempo}", file=sys.stderr)
    if not any(m.audio for m in show.mappings):
        print(
            "note: this show has no [[mappings]] audio = ...: the sound will not change the picture",
            file=sys.stderr,
        )
    return song
