"""`run.py bench --loop SHOW`: the live loop measured as it plays.

Reports the displayed and rendered frame rates, the generator's speed alone at the same level
and batch (so the loop's own cost shows), and the latency from a parameter write to the first
picture on screen that was rendered from it. Needs a display (Xvfb will do).
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
from collections import Counter
from dataclasses import asdict, replace
from pathlib import Path

from installation.bench.timing import write_json
from installation.show.sections import Show

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
    parser.add_argument(
        "--loop-param",
        default="psi",
        help="the parameter --loop writes to time write -> screen (default psi; a bend's amount, "
        "model_mix, rotate ...)",
    )
    parser.add_argument(
        "--loop-official",
        type=int,
        default=None,
        metavar="RES",
        help="play the show with NVIDIA's official StyleGAN2 config at RES px (random weights)",
    )


class _Probe:
    """Writes a parameter now and then while the show plays, and times until the screen shows it."""

    def __init__(self, live, presenter, start_after: float, param: str) -> None:
        self.live, self.presenter, self.start_after, self.param = live, presenter, start_after, param
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
            self._write(i)  # any write makes a new input version
            while not self._stop.is_set():
                shown = self.presenter.presented
                if shown.version > before.version and shown.wall >= written:
                    self.latencies_ms.append((shown.wall - written) * 1000)
                    self.bounds_ms.append(stats.latency_bound_ms(frame_ms))
                    break
                time.sleep(0.001)
            if self._stop.wait(0.5):  # let the look-ahead refill before the next write
                return

    def _write(self, i: int) -> None:
        if self.param == "psi":
            self.live.bus.set("psi", 0.7 + 0.05 * (i % 2), source="bench")  # a small move of the picture
        else:  # between the middle and the top of the parameter's range: a bend half and fully on
            self.live.bus.set_normalized(self.param, 0.5 + 0.5 * (i % 2), source="bench")


def _generator_alone(backend, latents, level: int, batch: int) -> tuple[float, float]:
    """ms per frame of the generator by itself at this level and batch, on the same inputs:
    the median wall time, and the calling thread's mean CPU time."""
    from installation.engine.probe import render_ms

    cpu = time.thread_time()
    wall_ms = render_ms(backend, latents, level, batch, repeats=ALONE_RENDERS)
    cpu_ms = 1000 * (time.thread_time() - cpu) / (ALONE_RENDERS + 1)  # render_ms warms up once
    return wall_ms / batch, cpu_ms / batch


# The loop's own work per frame, by part (EngineStats' totals); the rest of a batch's time is
# publishing the frames (ring, taps).
OWN_WORK = {
    "latents": "latents (motion, parameters)",
    "noise": "noise fields",
    "convert": "conversion to uint8",
    "publish": "publishing (ring, taps)",
}


def thread_cpu_s() -> dict[int, tuple[str, float]]:
    """CPU seconds of each of this process's threads so far, by native id, with the name the
    kernel knows it by (Linux /proc; empty elsewhere)."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    threads = {}
    for task in Path("/proc/self/task").glob("*"):
        try:
            text = (task / "stat").read_text()
        except OSError:  # the thread ended meanwhile
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        threads[int(task.name)] = (name, (int(fields[11]) + int(fields[12])) / ticks)
    return threads


def cpu_by_part(first: dict, last: dict, display: int, engine: int, seconds: float) -> dict[str, float]:
    """Cores used on average between two `thread_cpu_s`, by part of the loop: the display
    thread, the engine's producer thread, SDL's software rasteriser (Mesa llvmpipe) and the
    rest (torch's OpenMP helpers, the model loader, the sampler)."""
    parts = dict.fromkeys(("display thread", "engine thread", "llvmpipe", "other threads"), 0.0)
    for tid, (name, cpu) in last.items():
        used = cpu - first.get(tid, (name, 0.0))[1]
        part = {display: "display thread", engine: "engine thread"}.get(tid)
        parts[part or ("llvmpipe" if name.startswith("llvmpipe") else "other threads")] += used
    return {part: used / seconds for part, used in parts.items()}


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
    from installation.errors import UserError
    from installation.live import LiveShow
    from installation.show.loader import load_show
    from installation.timing import machine_description

    show = load_show(args.loop)
    if args.loop_official:
        show = with_official_model(show, args.loop_official)
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
        if live.error is None and args.loop_param not in live.bus:
            raise UserError(
                f"--loop-param {args.loop_param}: the show has no such parameter "
                f"(it has {', '.join(sorted(live.bus.specs))})"
            )
        while live.error is None and (live.engine is None or not live.engine.ready.is_set()):
            presenter.run(seconds=0.1)  # keep the window alive while the engine probes
        presenter.run(seconds=2.0)  # settle: first renders, level choice
        start, first = time.monotonic(), live.engine.stats
        presented_before, draws_before = presenter.presented.count, presenter.draw_times
        cpu_before = thread_cpu_s()
        probe = _Probe(live, presenter, args.loop_seconds / 2, args.loop_param).start()
        done = threading.Event()
        sampler = threading.Thread(target=_sample, args=(live, levels, batches, done), daemon=True)
        sampler.start()
        presenter.run(seconds=args.loop_seconds)
        probe.stop()
        done.set()
        sampler.join()
        elapsed, last = time.monotonic() - start, live.engine.stats
        cores = cpu_by_part(
            cpu_before, thread_cpu_s(), threading.get_native_id(), live.engine.native_id, elapsed
        )
        presented = presenter.presented.count - presented_before
        draws = presenter.draw_times
    finally:
        live.stop()
        screen.close()
    if live.error is not None:
        raise live.error
    level, batch = levels.most_common(1)[0][0], batches.most_common(1)[0][0]
    backend = live.renderer.backend
    torch.set_num_threads(last.threads or torch.get_num_threads())  # as the engine's thread rendered
    with torch.inference_mode():
        alone_ms, alone_cpu_ms = _generator_alone(backend, live.source.latents([0.0]), level, batch)
    frames = last.frames - first.frames
    generator_s = last.generator_s - first.generator_s
    own_ms = own_work_ms(first, last)
    generator_ms = 1000 * generator_s / max(frames, 1)
    generator_cpu_ms = 1000 * (last.generator_cpu_s - first.generator_cpu_s) / max(frames, 1)
    drawn = max(draws.draws - draws_before.draws, 1)
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
        # the producer thread's own CPU time in the generator (its OpenMP helpers not counted):
        # wall time above it, and above the alone figure, is waiting for a core or for the GIL
        "generator_cpu_ms_per_frame_in_loop": generator_cpu_ms,
        "generator_cpu_ms_per_frame_alone": alone_cpu_ms,
        # the display thread's draws (SDL draws and presents in them with the interpreter lock released)
        "draws_per_s": (draws.draws - draws_before.draws) / elapsed,
        "draw_ms": 1000 * (draws.wall_s - draws_before.wall_s) / drawn,
        "draw_cpu_ms": 1000 * (draws.cpu_s - draws_before.cpu_s) / drawn,
        "draw_share": (draws.wall_s - draws_before.wall_s) / elapsed,
        "cores_used": cores,  # CPU seconds per second, by part of the loop
        "load_average": os.getloadavg()[0],
        # the loop's own work per frame (ms), by part, and in all as a share of the generator's time
        "own_work_ms_per_frame": own_ms,
        "loop_overhead": sum(own_ms.values()) / max(generator_ms, 1e-9),
        "first_frame_s": presenter.first_frame_s,  # after the process started (imports, model load, probe)
        "latency_param": args.loop_param,
        "latency_ms": probe.latencies_ms,
        "latency_bound_ms": probe.bounds_ms,
        "last_stats": asdict(last),
        "machine": machine_description(backend.device),
    }
    _print(result, print_table)
    write_json(result, args.json)
    return 0


def with_official_model(show: Show, resolution: int) -> Show:
    """`show` playing NVIDIA's official config at `resolution` px (seeded random weights), saved
    once in the user cache, instead of its own model."""
    import torch

    from installation.backends.cache import user_cache_root
    from installation.bench.generator import Generator, official_config
    from installation.checkpoints.native import save_generator

    path = user_cache_root() / "bench" / f"official-{resolution}px.pt"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with torch.random.fork_rng():
            torch.manual_seed(0)
            G = Generator(official_config(resolution))
        partial = path.with_name(path.name + ".partial")
        save_generator(G, partial, f"official {resolution} px config, random weights")
        partial.replace(path)
    return replace(show, model=replace(show.model, path=path))


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
        f"batch {r['batch']}, {r['threads']} threads, load average {r['load_average']:.1f}\n"
        f"level time share: {share}"
    )
    first = r["first_frame_s"]
    rows = [
        ["first frame, s after the process started", f"{first:.1f}" if first is not None else "not measured"],
        ["displayed fps", f"{r['displayed_fps']:.1f}"],
        ["rendered fps", f"{r['rendered_fps']:.1f}"],
        ["generator-alone fps (same level, batch)", f"{r['generator_alone_fps']:.1f}"],
        [
            "generator ms per frame, in the loop / alone",
            f"{r['generator_ms_per_frame_in_loop']:.1f} / {r['generator_ms_per_frame_alone']:.1f}",
        ],
        [
            "  the producer thread's CPU in it, in the loop / alone",
            f"{r['generator_cpu_ms_per_frame_in_loop']:.1f} / {r['generator_cpu_ms_per_frame_alone']:.1f}",
        ],
        ["display draws per s", f"{r['draws_per_s']:.1f}"],
        ["  ms per draw, wall / display thread's CPU", f"{r['draw_ms']:.1f} / {r['draw_cpu_ms']:.1f}"],
        ["  share of the time in draws", f"{100 * r['draw_share']:.0f} %"],
        *([f"cores used: {part}", f"{used:.2f}"] for part, used in r["cores_used"].items()),
        *(
            [f"  {label}, ms per frame", f"{r['own_work_ms_per_frame'][name]:.2f}"]
            for name, label in OWN_WORK.items()
        ),
        ["loop's own work (the above) / generator", f"{100 * r['loop_overhead']:.1f} %"],
        [
            f"latency {r['latency_param']} write -> screen, median / max ms",
            f"{statistics.median(lat):.0f} / {max(lat):.0f}" if lat else "not measured",
        ],
        [
            "latency bound (batch + lead + frame), median ms",
            f"{statistics.median(r['latency_bound_ms']):.0f}" if lat else "",
        ],
    ]
    print_table(["measure", "value"], rows)
