"""`run.py bench --scaling`: what each `display.scale` costs per refresh on this screen.

For frames of 64, 256 and 1024 px drawn full-window (fit) at --scaling-size, the median time of
one refresh that shows a new frame (upload, resample for sharp, draw, present) and of one that
shows the same frame again (what every refresh between two rendered frames costs). For `sharp`,
also the torch path the engine takes on CUDA (`--device`, default the render device): the
resample on the device from a frame already there, its copy to the host, then the refresh that
uploads it as it is.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from installation.bench.timing import write_json

FRAME_SIZES = (64, 256, 1024)
REFRESHES = 40


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scaling", action="store_true", help="measure display.scale nearest / linear / sharp per refresh"
    )
    parser.add_argument("--scaling-size", default="1920x1080", help="window size for --scaling")


def _median_ms(show, frames) -> float:
    times = []
    for frame in frames:
        start = time.perf_counter()
        show(frame)
        times.append((time.perf_counter() - start) * 1000)
    return float(np.median(times[3:]))


def _torch_path_ms(screen, frames, device) -> float:
    """Median ms of a new frame by the engine's CUDA path: resampled on `device`, copied to the
    host, shown as it came."""
    import torch

    from installation.engine.frames import Frame, FramePair
    from installation.engine.resample import sharp_resize_torch

    on_device = {id(f.pixels): torch.from_numpy(f.pixels).to(device)[None] for f in frames}
    size = screen.scaling().sharp_size(frames[0].pixels.shape[1::-1])

    def show(frame) -> None:
        shown = sharp_resize_torch(on_device[id(frame.pixels)], size, screen.sharpen)[0].cpu().numpy()
        screen.show(FramePair(Frame(frame.t, frame.pixels, 0, frame.serial + 10**6, shown=shown)))

    return _median_ms(show, frames)


def run(args: argparse.Namespace) -> int:
    from installation.bench.timing import print_table
    from installation.display.layout import parse_size
    from installation.display.screen import Screen
    from installation.engine.frames import Frame, FramePair
    from installation.model.loading import pick_device
    from installation.timing import machine_description

    size = parse_size(args.scaling_size)
    device = pick_device(args.device)
    screen = Screen(fullscreen=False, size=size, vsync=False)
    rng = np.random.default_rng(0)
    rows, results = [], []
    serial = 0
    try:
        for px in FRAME_SIZES:
            pictures = [rng.integers(0, 255, (px, px, 3), dtype=np.uint8) for _ in range(4)]
            for scale in ("nearest", "linear", "sharp"):
                screen.scale, screen.sharpen = scale, 0.5 if scale == "sharp" else 0.0
                frames = []
                for i in range(REFRESHES):
                    serial += 1
                    frames.append(Frame(i, pictures[i % 4], 0, serial))
                new = _median_ms(lambda f: screen.show(FramePair(f)), frames)
                held = FramePair(frames[-1])
                same = _median_ms(lambda _f, held=held: screen.show(held), frames)
                row = {"frame_px": px, "scale": scale, "new_frame_ms": new, "same_frame_ms": same}
                if scale == "sharp":
                    row["torch_new_frame_ms"] = _torch_path_ms(screen, frames, device)
                torch_ms = row.get("torch_new_frame_ms")
                torch_cell = "" if torch_ms is None else f"{torch_ms:.2f}"
                rows.append([px, scale, f"{new:.2f}", f"{same:.2f}", torch_cell])
                results.append(row)
    finally:
        screen.close()
    print(f"window {size[0]}x{size[1]}, SDL renderer; sharp with sharpen 0.5; torch path on {device}")
    print_table(
        ["frame px", "scale", "ms, new frame", "ms, same frame", f"ms, new frame, torch on {device}"], rows
    )
    out = {
        "machine": machine_description(device),
        "window": size,
        "torch_device": str(device),
        "rows": results,
    }
    write_json(out, args.json)
    return 0
