"""`run.py bench --loop SHOW`: the live loop measured as it plays.

Reports the displayed and rendered frame rates, the generator's speed alone at the same level
and batch (so the loop's own cost shows), and the latency from a parameter write to the first
picture on screen that was rendered from it. Needs a display (Xvfb will do).
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from collections import Counter
from dataclasses import asdict

LATENCY_WRITES = 8  # parameter writes timed per run
ALONE_RENDERS = 10  # renders timed for the generator-alone figure


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--loop",
        metavar="SHOW",
        default=None,
        help="measure the live loop playing SHOW: fps (displayed, rendered, generator) and latency",
    )
    parser.add_argument("--loop-seconds", type=float, default=20.0, help="how long --loop plays (default 20)")
    parser.add_argument("--loop-backend", default="auto", help="render backend for --loop (default auto)")
    parser.add_argument("--loop-fps", type=float, default=60.0, help="screen refreshes per second for --loop")


class _Probe:
    """Writes a parameter now and then while the show plays, and times until the screen shows it."""

    def __init__(self, live, presenter, start_after: float) -> None:
        self.live, self.presenter, self.start_after = live, presenter, start_after
        self.latencies_ms: list[float] = []
        self.bounds_ms: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="latency-probe", daemon=True)

    def start(self) -> "_Probe":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        if self._stop.wait(self.start_after):
            return
        for i in range(LATENCY_WRITES):
            before = self.presenter.presented
            stats = self.live.engine.stats
            frame_ms = 1000 / max(self.presenter.displayed_fps, 1.0)
            written = time.monotonic()
            self.live.bus.set(
                "psi", 0.7 + 0.05 * (i % 2), source="bench"
            )  # any write makes a new input version
            while not self._stop.is_set():
                shown = self.presenter.presented
                if shown.version > before.version and shown.wall >= written:
                    self.latencies_ms.append((shown.wall - written) * 1000)
                    self.bounds_ms.append(stats.latency_bound_ms(frame_ms))
                    break
                time.sleep(0.001)
            if self._stop.wait(0.5):  # let the look-ahead refill before the next write
                return


def _generator_alone(backend, latents, level: int, batch: int) -> float:
    """ms per frame of the generator by itself at this level and batch, on the same inputs."""
    from installation.engine.probe import render_ms

    return render_ms(backend, latents, level, batch, repeats=ALONE_RENDERS) / batch


# The loop's own work per frame, by part (EngineStats' totals); the rest of a batch's time is
# publishing the frames (ring, taps).
OWN_WORK = {
    "latents": "latents (motion, parameters)",
    "noise": "noise fields",
    "convert": "conversion to uint8",
    "publish": "publishing (ring, taps)",
}


def own_work_ms(first, last) -> dict[str, float]:
    """ms per frame of each part of the loop's own work between two EngineStats."""
    frames = max(last.frames - first.frames, 1)
    parts = {
        name: getattr(last, f"{name}_s") - getattr(first, f"{name}_s")
        for name in ("latents", "noise", "convert")
    }
    generator = last.generator_s - first.generator_s
    parts["publish"] = (last.busy_s - first.busy_s) - generator - sum(parts.values())
    return {name: 1000 * s / frames for name, s in parts.items()}


def run(args: argparse.Namespace) -> int:
    import torch

    from installation.bench.timing import print_table
    from installation.display import Presenter, Screen, init_video
    from installation.live import LiveShow
    from installation.show.loader import load_show
    from installation.timing import machine_description

    show = load_show(args.loop)
    init_video()
    screen = Screen(
        fullscreen=False, size=(1280, 720), mode=show.display.fit, background=show.display.background
    )
    device = None if args.device == "auto" else args.device
    live = LiveShow(
        show, device=device, backend=args.loop_backend, display_fps=args.loop_fps, screen_scale=screen.scaling
    ).start()
    presenter = Presenter(screen, live, fps=args.loop_fps, allow_quit=True)
    levels: Counter[int] = Counter()
    batches: Counter[int] = Counter()
    try:
        live.wait_until_loaded()
        while live.error is None and (live.engine is None or not live.engine.ready.is_set()):
            presenter.run(seconds=0.1)  # keep the window alive while the engine probes
        presenter.run(seconds=2.0)  # settle: first renders, level choice
        start, first = time.monotonic(), live.engine.stats
        presented_before = presenter.presented.count
        probe = _Probe(live, presenter, start_after=args.loop_seconds / 2).start()
        done = threading.Event()
        sampler = threading.Thread(target=_sample, args=(live, levels, batches, done), daemon=True)
        sampler.start()
        presenter.run(seconds=args.loop_seconds)
        probe.stop()
        done.set()
        sampler.join()
        elapsed, last = time.monotonic() - start, live.engine.stats
        presented = presenter.presented.count - presented_before
    finally:
        live.stop()
        screen.close()
    if live.error is not None:
        raise live.error
    level, batch = levels.most_common(1)[0][0], batches.most_common(1)[0][0]
    backend = live.renderer.backend
    torch.set_num_threads(last.threads or torch.get_num_threads())  # as the engine's thread rendered
    with torch.inference_mode():
        alone_ms = _generator_alone(backend, live.source.latents([0.0]), level, batch)
    frames = last.frames - first.frames
    generator_s = last.generator_s - first.generator_s
    own_ms = own_work_ms(first, last)
    generator_ms = 1000 * generator_s / max(frames, 1)
    result = {
        "show": str(show.path),
        "seconds": elapsed,
        "refresh_fps": args.loop_fps,
        "displayed_fps": presented / elapsed,
        "rendered_fps": frames / elapsed,
        "generator_alone_fps": 1000 / alone_ms,
        "backend": backend.name,
        "level": level,
        "levels": dict(levels),
        "batch": batch,
        "threads": last.threads,
        "generator_ms_per_frame_in_loop": generator_ms,
        "generator_ms_per_frame_alone": alone_ms,
        # the loop's own work per frame (ms), by part, and in all as a share of the generator's time
        "own_work_ms_per_frame": own_ms,
        "loop_overhead": sum(own_ms.values()) / max(generator_ms, 1e-9),
        "latency_ms": probe.latencies_ms,
        "latency_bound_ms": probe.bounds_ms,
        "last_stats": asdict(last),
        "machine": machine_description(backend.device),
    }
    _print(result, print_table)
    with open(args.json, "w") as f:
        json.dump(result, f, indent=2)
    print(f"\nwrote {args.json}")
    return 0


def _sample(live, levels: Counter, batches: Counter, done: threading.Event) -> None:
    """Which level and batch the engine used, sampled ten times a second."""
    while not done.wait(0.1):
        stats = live.engine.stats
        levels[stats.level] += 1
        batches[stats.batch] += 1


def _print(r: dict, print_table) -> None:
    lat = r["latency_ms"]
    samples = sum(r["levels"].values()) or 1
    share = ", ".join(f"{lv} px {100 * n / samples:.0f} %" for lv, n in sorted(r["levels"].items()))
    print(
        f"{r['show']}: {r['seconds']:.0f} s on {r['machine']['cpu']}, backend {r['backend']}, "
        f"batch {r['batch']}, {r['threads']} threads\nlevel time share: {share}"
    )
    rows = [
        ["displayed fps", f"{r['displayed_fps']:.1f}"],
        ["rendered fps", f"{r['rendered_fps']:.1f}"],
        ["generator-alone fps (same level, batch)", f"{r['generator_alone_fps']:.1f}"],
        [
            "generator ms per frame, in the loop / alone",
            f"{r['generator_ms_per_frame_in_loop']:.1f} / {r['generator_ms_per_frame_alone']:.1f}",
        ],
        *(
            [f"  {label}, ms per frame", f"{r['own_work_ms_per_frame'][name]:.2f}"]
            for name, label in OWN_WORK.items()
        ),
        ["loop's own work (the above) / generator", f"{100 * r['loop_overhead']:.1f} %"],
        [
            "latency write -> screen, median / max ms",
            f"{statistics.median(lat):.0f} / {max(lat):.0f}" if lat else "not measured",
        ],
        [
            "latency bound (batch + lead + frame), median ms",
            f"{statistics.median(r['latency_bound_ms']):.0f}" if lat else "",
        ],
    ]
    print_table(["measure", "value"], rows)
