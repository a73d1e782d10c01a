"""`run.py render SHOW --out walk.mp4`: a show rendered to a video or PNG files, frame k at t = k / fps.
With `--audio song.wav`, a music video: the song drives the show's audio mappings and is muxed in.
With `--ray`, the video's chunks render on a Ray cluster (installation/farm/), to the same bytes."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from installation.tiles import add_tile_arguments, tile_choice

if TYPE_CHECKING:
    from pathlib import Path

    from installation.farm.job import RenderJob
    from installation.sinks.progress import Progress

NAME = "render"
HELP = (
    "render a show to an mp4 (--out) or PNG frames (--frames), deterministically; default: one seamless loop"
)


LOCAL_CLUSTER = "local"
CHUNK_SECONDS = 10.0  # a few MB each at 1024 px, and many more chunks than workers in a long render


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
    add_tile_arguments(parser)
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
    parser.add_argument(
        "--ray",
        nargs="?",
        const=LOCAL_CLUSTER,
        default=None,
        metavar="ADDRESS",
        help="render the chunks on a Ray cluster (ADDRESS: its head, e.g. 10.0.0.5:6379 or auto; "
        "none: a local cluster on this machine); needs pip install 'installation[ray]'",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="with --ray: how many workers (default: one per GPU of the cluster, else per CPU)",
    )
    parser.add_argument(
        "--chunk-seconds",
        type=float,
        default=CHUNK_SECONDS,
        help=f"the video is encoded in chunks this long, each from a key frame (default {CHUNK_SECONDS:g}); "
        "the same chunks give the same file with or without --ray",
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
    import tempfile
    from contextlib import nullcontext
    from pathlib import Path

    from installation.display.layout import parse_size
    from installation.errors import UserError
    from installation.farm.chunks import join_chunks
    from installation.farm.job import RenderJob
    from installation.show.loader import load_show
    from installation.sinks import Progress, frame_times
    from installation.sinks.outfile import check_video_out, check_video_size, written_whole

    # Every argument is checked before the model loads.
    if args.fps <= 0:
        raise UserError("--fps must be above 0")
    if args.chunk_seconds <= 0:
        raise UserError("--chunk-seconds must be above 0")
    asked = parse_size(args.size) if args.size else None
    threads = (os.cpu_count() or 1) if args.threads is None else args.threads
    if threads < 1:
        raise UserError(f"--threads {threads}: give at least 1")
    if args.workers is not None and args.workers < 1:
        raise UserError(f"--workers {args.workers}: give at least 1")
    if args.ray is not None and args.frames:
        raise UserError("--ray renders a video: leave out --frames")
    if args.workers is not None and args.ray is None:
        raise UserError("--workers counts Ray workers: add --ray")
    out = Path(args.out).expanduser() if args.out else (None if args.frames else Path("walk.mp4"))
    if out is not None:
        check_video_out(out, args.overwrite)
        if asked is not None:
            check_video_size(asked)
    tile = tile_choice(args)
    show = load_show(args.show)
    song = _analyse(show, args) if args.audio else None
    seconds = song.seconds if song else args.seconds if args.seconds is not None else loop_seconds(show)
    times = frame_times(seconds, args.fps, cover=song is not None)
    if not times:
        raise UserError(f"{seconds:g} s at {args.fps:g} fps is no frame at all")
    job = RenderJob(
        show, tuple(times), args.fps, asked, args.device, args.precision, args.backend, threads, song, tile
    )
    progress = Progress(len(times))
    farm = ""
    with written_whole(out) if out else nullcontext() as partial:
        # the chunks beside the video, not in /tmp: a long render's chunks are as big as it is
        folder = tempfile.TemporaryDirectory(dir=out.parent, prefix=f".{out.stem}.chunks-") if out else None
        with folder or nullcontext():
            chunks_in = Path(folder.name) if folder else None
            if args.ray is None:
                size, chunks = _render_here(job, chunks_in, args.frames, args.chunk_seconds, progress)
            else:
                from installation.farm.ray_farm import render_on_ray

                address = None if args.ray == LOCAL_CLUSTER else args.ray
                settings, chunks, workers = render_on_ray(
                    job, address, args.workers, args.chunk_seconds, chunks_in, progress
                )
                size, farm = settings.size, f" on {workers} Ray workers"
            if out is not None:
                join_chunks(chunks, partial, args.fps, (song.samples, song.rate) if song else None)
    progress.finish()
    where = " and ".join(str(p) for p in (out, args.frames) if p) + (
        f", with the sound of {args.audio}" if song else ""
    )
    what = f"{len(times)} frames ({seconds:g} s at {args.fps:g} fps, {size[0]}x{size[1]})"
    print(f"wrote {what} to {where}{farm}", file=sys.stderr)
    return 0


def _render_here(
    job: RenderJob,
    chunks_in: Path | None,
    frames_folder: str | None,
    chunk_seconds: float,
    progress: Progress,
) -> tuple[tuple[int, int], list[Path]]:
    """Every frame of the job on this machine: into chunk files in `chunks_in` (when given)
    and PNG files in `frames_folder` (when given). (The size, the chunk files.)"""
    from installation.farm.chunks import ChunkFiles, chunk_ranges
    from installation.farm.job import JobRenderer
    from installation.sinks import PngFolder
    from installation.sinks.outfile import check_video_size

    renderer = JobRenderer(job)
    size = renderer.size
    sinks = []
    if chunks_in is not None:
        if job.size is None:
            check_video_size(size)
        plan = chunk_ranges(len(job.times), chunk_seconds, job.fps, renderer.batch)
        sinks.append(ChunkFiles(chunks_in, job.fps, size, plan))
    if frames_folder:
        sinks.append(PngFolder(frames_folder))
    try:
        renderer.render(range(len(job.times)), sinks, progress)
    finally:
        for sink in sinks:
            sink.close()
    return size, sinks[0].paths if chunks_in is not None else []


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
