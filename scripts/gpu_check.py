#!/usr/bin/env python3
"""The live loop's CUDA path, checked and timed in one run: `python scripts/gpu_check.py`.

Not run in CI (there is no GPU there). Each check records its result or its error and the
script goes on, so one failure still leaves a full table; it prints the table and writes JSON.

Checks, per model (the embedded default, and NVIDIA's official 1024 px configuration with
random weights):
- 'mixed' (fp16 blocks) against fp32: max |diff| / std(fp32), and that no NaN/Inf reaches out;
- batch sizes 1..16, fp32 and mixed, eager and CUDA-graph replay: ms per frame including the
  conversion to uint8 into pinned host buffers, as the engine does it;
- CUDA graph replay against eager: capture success and max |diff|;
- the engine itself for a few seconds at the screen's pace: rendered fps, level, batch, and the
  latency from an input change to the first frame rendered from it;
- `display.scale = "sharp"` on the device (engine/resample.py) for frames of 64, 256 and 1024 px
  drawn at 1080x1080: its difference from OpenCV's picture, and ms per batch of 1 and 8
  including the copy of the result into pinned host memory.

`--allow-cpu` runs the same code on the CPU (graphs skipped): a smoke test of the script.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from installation.backends import TorchEagerBackend  # noqa: E402
from installation.bench.generator import official_config  # noqa: E402
from installation.bench.timing import print_table  # noqa: E402
from installation.engine import Engine, EngineSettings, Latents, ShowClock  # noqa: E402
from installation.engine.convert import FrameConverter  # noqa: E402
from installation.engine.graphs import GraphedBackend  # noqa: E402
from installation.model.default import default_generator  # noqa: E402
from installation.model.generator import Generator  # noqa: E402
from installation.timing import device_sync, machine_description, median_ms  # noqa: E402

# max |mixed - fp32| / std(fp32): fp16 on CUDA, bf16 on a CPU (bench/generator.py's figures)
TOLERANCE = {"cuda": 0.05, "cpu": 0.15}
BATCHES = (1, 2, 4, 8, 16)


class SeedLoop:
    """The script's stand-in for a show's motion: a loop between two mapped seeds; `bump()` is a
    parameter write (it shifts the ws and changes the version)."""

    def __init__(self, G: Generator, period: float = 10.0) -> None:
        gen = torch.Generator().manual_seed(0)
        device = G.mapping.w_avg.device
        with torch.inference_mode():
            self.ws = G.mapping(torch.randn(2, G.z_dim, generator=gen).to(device), truncation_psi=0.7)
        self.period, self.offset, self.writes = period, 0.0, 0

    def bump(self) -> None:
        self.offset += 0.01
        self.writes += 1

    def version(self) -> int:
        return self.writes

    def latents(self, times) -> Latents:
        f = torch.tensor(
            [(1 - math.cos(2 * math.pi * t / self.period)) / 2 for t in times], device=self.ws.device
        )
        return Latents(self.ws[0] + f[:, None, None] * (self.ws[1] - self.ws[0]) + self.offset)


def guarded(results: dict, name: str, fn) -> None:
    """Run one check; keep its result or its error, never stop the script."""
    start = time.perf_counter()
    try:
        results[name] = fn()
    except Exception as error:  # noqa: BLE001 - a failed check is a result too
        results[name] = {"error": f"{type(error).__name__}: {error}", "trace": traceback.format_exc(limit=3)}
    print(f"  {name}: {time.perf_counter() - start:.1f} s", file=sys.stderr)


def accuracy(G: Generator, device: torch.device) -> dict:
    source = SeedLoop(G)
    ws = source.latents([0.0, 2.5, 5.0, 7.5]).ws
    fp32 = TorchEagerBackend(G, device, "fp32").render(ws)
    mixed = TorchEagerBackend(G, device, "mixed").render(ws)
    rel = float((mixed - fp32).abs().max() / fp32.std())
    tolerance, finite = TOLERANCE[device.type], bool(torch.isfinite(mixed).all())
    return {"rel_err": rel, "tolerance": tolerance, "finite": finite, "ok": rel <= tolerance and finite}


def batch_timing(G: Generator, device: torch.device, precision: str, graphs: bool, repeats: int) -> dict:
    """ms per frame, render + uint8 conversion into pinned buffers, per batch size."""
    backend = TorchEagerBackend(G, device, precision)
    runner = GraphedBackend(backend) if graphs else backend
    converter = FrameConverter(device)
    pin = device.type == "cuda"
    out = {}
    for batch in BATCHES:
        ws = SeedLoop(G).latents([0.1 * i for i in range(batch)]).ws
        shape = (G.img_resolution, G.img_resolution, 3)
        buffers = [torch.empty(shape, dtype=torch.uint8, pin_memory=pin) for _ in range(batch)]

        def step(ws=ws, buffers=buffers) -> None:
            with torch.inference_mode():
                converter.convert(runner.render(ws), buffers)

        ms = median_ms(step, repeats, warmup=2, sync=device_sync(device))
        out[batch] = {"ms_per_frame": ms / batch, "fps": 1000 * batch / ms}
    if graphs:
        out["captured"] = sorted(str(k) for k in runner._graphs)
        out["not_captured"] = sorted(str(k) for k in runner._failed)
    return out


def graph_equality(G: Generator, device: torch.device) -> dict:
    backend = TorchEagerBackend(G, device, "fp32")
    graphed = GraphedBackend(backend)
    source = SeedLoop(G)
    diffs = []
    with torch.inference_mode():
        for times in ([0.0, 1.0], [3.0, 4.0], [6.0, 7.0]):  # new ws each replay
            ws = source.latents(times).ws
            diffs.append(float((graphed.render(ws).clone() - backend.render(ws)).abs().max()))
    return {"max_abs_diff": max(diffs), "captured": bool(graphed._graphs), "ok": max(diffs) <= 1e-3}


def engine_run(G: Generator, device: torch.device, seconds: float, graphs: bool) -> dict:
    """The engine at 60 Hz with a consumer, then input changes timed to their first new frame."""
    source = SeedLoop(G)
    clock = ShowClock()
    settings = EngineSettings(frame_budget_ms=1000 / 60, cuda_graphs=graphs)
    engine = Engine(
        TorchEagerBackend(G, device, "mixed" if device.type == "cuda" else "fp32"), source, clock, settings
    ).start()
    engine.ready.wait(120)
    latencies = []
    try:
        end = time.monotonic() + seconds
        next_write = time.monotonic() + seconds / 4
        written = None
        while time.monotonic() < end and engine.error is None:
            pair = engine.pair_at(clock.now())
            now = time.monotonic()
            if written is None and now >= next_write:
                before, written = engine.version, now
                source.bump()
            elif written is not None and pair is not None and pair.newest.version > before:
                latencies.append((now - written) * 1000)
                written, next_write = None, now + 0.5
            time.sleep(1 / 60)
        stats = engine.stats
    finally:
        engine.stop()
    if engine.error is not None:
        raise engine.error
    return {
        "rendered_fps": stats.rendered_fps,
        "level": stats.level,
        "batch": stats.batch,
        "render_ms": stats.render_ms,
        "lead_ms": stats.lead_ms,
        "latency_ms": latencies,
        "latency_median_ms": statistics.median(latencies) if latencies else None,
    }


def sharp_on_device(device: torch.device, repeats: int) -> dict:
    """The engine's sharp path against display/scaling.py's OpenCV one, and its cost."""
    import numpy as np

    from installation.display.scaling import sharp_resize
    from installation.engine.resample import sharp_resize_torch

    size, sync, out = (1080, 1080), device_sync(device), {}
    rng = np.random.default_rng(0)
    for px in (64, 256, 1024):
        pictures = rng.integers(0, 256, (8, px, px, 3), dtype=np.uint8)
        on_device = torch.from_numpy(pictures).to(device)
        ours = sharp_resize_torch(on_device[:1], size, 0.5)[0].cpu().numpy().astype(int)
        theirs = sharp_resize(pictures[0], size, 0.5).astype(int)
        mse = float(np.mean((ours - theirs) ** 2))
        row = {
            "max_diff": int(np.abs(ours - theirs).max()),
            "psnr_db": 10 * math.log10(255**2 / max(mse, 1e-12)),
        }
        for batch in (1, 8):
            host = torch.empty(
                (batch, size[1], size[0], 3), dtype=torch.uint8, pin_memory=device.type == "cuda"
            )

            def step(frames=on_device[:batch], host=host) -> None:
                host.copy_(sharp_resize_torch(frames, size, 0.5), non_blocking=True)

            row[f"ms_batch{batch}"] = median_ms(step, repeats, warmup=2, sync=sync)
        out[f"{px}px"] = row
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", default="gpu_check.json")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--engine-seconds", type=float, default=8.0)
    parser.add_argument("--allow-cpu", action="store_true", help="smoke-test on the CPU (graphs skipped)")
    parser.add_argument("--models", default="default,official1024", help="default, official256/512/1024")
    args = parser.parse_args()
    if not torch.cuda.is_available() and not args.allow_cpu:
        print(
            "no CUDA GPU here: this script checks the CUDA path (use --allow-cpu for a smoke test)",
            file=sys.stderr,
        )
        return 2
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    cuda = device.type == "cuda"
    report: dict = {"machine": machine_description(device), "models": {}}
    for name in args.models.split(","):
        print(f"{name}:", file=sys.stderr)
        if name == "default":
            G = default_generator(device)
        else:
            torch.manual_seed(0)
            G = (
                Generator(official_config(int(name.removeprefix("official"))))
                .requires_grad_(False)
                .eval()
                .to(device)
            )
        results: dict = {"resolution": G.img_resolution}
        guarded(results, "mixed_vs_fp32", lambda G=G: accuracy(G, device))
        for precision in ("fp32", "mixed"):
            for graphs in (False, True) if cuda else (False,):
                label = f"batches_{precision}_{'graphs' if graphs else 'eager'}"
                guarded(
                    results,
                    label,
                    lambda G=G, precision=precision, graphs=graphs: batch_timing(
                        G, device, precision, graphs, args.repeats
                    ),
                )
        if cuda:
            guarded(results, "graph_vs_eager", lambda G=G: graph_equality(G, device))
        for graphs in (False, True) if cuda else (False,):
            guarded(
                results,
                f"engine_{'graphs' if graphs else 'eager'}",
                lambda G=G, graphs=graphs: engine_run(G, device, args.engine_seconds, graphs),
            )
        report["models"][name] = results
        del G
        if cuda:
            torch.cuda.empty_cache()
    guarded(report, "sharp_on_device", lambda: sharp_on_device(device, args.repeats))
    _print(report)
    Path(args.json).write_text(json.dumps(report, indent=2, default=str))
    print(f"\nwrote {args.json}")
    return 0


def _print(report: dict) -> None:
    print(f"{report['machine'].get('gpu', report['machine']['cpu'])}, torch {report['machine']['torch']}")
    for name, results in report["models"].items():
        print(f"\n{name} ({results['resolution']} px)")
        rows = []
        for label, value in results.items():
            if not label.startswith("batches_"):
                continue
            cells = ["error" if "error" in value else f"{value[b]['ms_per_frame']:.2f}" for b in BATCHES]
            rows.append([label.removeprefix("batches_"), *cells])
        if rows:
            print("ms per frame (render + uint8 into pinned memory):")
            print_table(["path", *map(str, BATCHES)], rows)
        for label in ("mixed_vs_fp32", "graph_vs_eager", "engine_eager", "engine_graphs"):
            if label in results:
                value = results[label]
                shown = {k: v for k, v in value.items() if k not in ("latency_ms", "trace")}
                text = value.get("error") or ", ".join(
                    f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}" for k, v in shown.items()
                )
                print(f"{label}: {text}")
    print(f"\nsharp on the device, to 1080x1080: {report.get('sharp_on_device')}")


if __name__ == "__main__":
    sys.exit(main())
