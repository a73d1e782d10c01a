"""`run.py bench --outputs`: what each output sink costs per frame, and what it takes from the
generator, at 256, 512 and 1024 px.

Per sink and size: the median time of one `write` (the sink's own thread pays it, never the
render loop), then the generator's frame rate while that sink runs at its frame rate beside it,
against the generator alone, measured alternately in one run (the machine is noisy). Sinks
whose extra is missing, or that cannot open here (no v4l2loopback), are listed as skipped.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from installation.bench.timing import write_json
from installation.errors import UserError

SIZES = (256, 512, 1024)
SINK_FPS = 30.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--outputs",
        action="store_true",
        help="measure each output sink (stream, NDI, recording, vcam): cost per frame, generator share",
    )
    parser.add_argument(
        "--outputs-seconds", type=float, default=4.0, help="seconds per generator phase (default 4)"
    )
    parser.add_argument("--outputs-sizes", default="256,512,1024", help="square output sizes (px)")


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _sinks(folder: Path) -> dict[str, Callable[[int], object]]:
    """Name -> what opens that sink at a square size."""
    from installation.sinks.ndi import NdiSender
    from installation.sinks.stream import NetworkStream
    from installation.sinks.vcam import VirtualCamera
    from installation.sinks.video import VideoFile

    return {
        "stream udp (H.264)": lambda px: NetworkStream(
            f"udp://127.0.0.1:{_free_udp_port()}", (px, px), SINK_FPS
        ),
        "ndi": lambda px: NdiSender(f"bench-{px}", (px, px), SINK_FPS),
        "recording (VideoFile)": lambda px: VideoFile(folder / f"bench-{px}.mp4", SINK_FPS, (px, px)),
        "vcam": lambda px: VirtualCamera("", (px, px), SINK_FPS),
    }


def _pictures(px: int, count: int = 8) -> list[np.ndarray]:
    """Moving smooth pictures (what a generator sends; noise would be unfair to the encoders)."""
    y, x = np.mgrid[0:px, 0:px] / px
    return [
        np.stack([(127 + 100 * np.sin(6 * x + k + c * 2 + 3 * y)).astype(np.uint8) for c in range(3)], -1)
        for k in range(count)
    ]


def _write_ms(sink, pictures: list[np.ndarray], frames: int) -> float:
    times = []
    for i in range(frames):
        start = time.perf_counter()
        sink.write(pictures[i % len(pictures)])
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times[2:])  # the first frames set the encoder up


def _generator_fps(render: Callable[[], None], seconds: float) -> float:
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        render()
        count += 1
    return count / (time.perf_counter() - start)


def _alongside(sink, pictures: list[np.ndarray], stop: threading.Event) -> None:
    """The sink writing at SINK_FPS in its own thread, as a LiveOutput does."""
    due, i = time.monotonic(), 0
    while not stop.is_set():
        sink.write(pictures[i % len(pictures)])
        i += 1
        due += 1 / SINK_FPS
        stop.wait(max(0.0, due - time.monotonic()))


def run(args: argparse.Namespace) -> int:
    import torch

    from installation.backends import create_backend
    from installation.bench.timing import print_table
    from installation.engine.latents import Latents, render_latents
    from installation.model.imaging import seed_latents
    from installation.model.loading import load_model, pick_device
    from installation.timing import machine_description

    try:
        sizes = [int(s) for s in args.outputs_sizes.split(",")]
    except ValueError:
        raise UserError(f"bad --outputs-sizes {args.outputs_sizes!r}: use e.g. 256,512") from None
    device = pick_device(args.device)
    G = load_model(args.model, device)
    backend = create_backend(G, device, "fp32", "torch")
    with torch.inference_mode():
        latents = Latents(G.mapping(seed_latents([0], G.z_dim).to(device)))
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)

    def render() -> None:
        with torch.inference_mode():
            render_latents(backend, latents, None)
        sync()

    render()
    rows, results = [], []
    with tempfile.TemporaryDirectory() as folder:
        for name, opener in _sinks(Path(folder)).items():
            for px in sizes:
                try:
                    sink = opener(px)
                except UserError as error:
                    rows.append([name, px, "skipped", "", "", str(error)[:60]])
                    results.append({"sink": name, "size": px, "skipped": str(error)})
                    break
                pictures = _pictures(px)
                write_ms = _write_ms(sink, pictures, 40)
                alone = _generator_fps(render, args.outputs_seconds)
                stop = threading.Event()
                writer = threading.Thread(target=_alongside, args=(sink, pictures, stop), daemon=True)
                writer.start()
                beside = _generator_fps(render, args.outputs_seconds)
                stop.set()
                writer.join()
                alone_again = _generator_fps(render, args.outputs_seconds)
                sink.close()
                base = (alone + alone_again) / 2
                share = 1 - beside / base if base else 0.0
                rows.append([name, px, f"{write_ms:.2f}", f"{base:.2f}", f"{beside:.2f}", f"{share:+.0%}"])
                results.append(
                    {
                        "sink": name,
                        "size": px,
                        "write_ms": round(write_ms, 3),
                        "generator_fps_alone": round(base, 3),
                        "generator_fps_with_sink": round(beside, 3),
                        "generator_share_taken": round(share, 3),
                    }
                )
    print(f"model {args.model} ({G.img_resolution} px) on {device}; sinks write {SINK_FPS:g} fps beside it")
    print_table(["sink", "px", "ms/frame", "generator fps alone", "with sink", "taken"], rows)
    out = {"machine": machine_description(device), "sink_fps": SINK_FPS, "rows": results}
    write_json(out, args.json)
    return 0
