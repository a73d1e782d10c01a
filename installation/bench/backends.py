"""`run.py bench --backends`: every backend and precision side by side, per resolution.

NVIDIA's official configurations at 256 / 512 / 1024 px with random weights (or one given
model), batch 1, constant noise. Each variant is timed in round robin with the others, so a
burst of load elsewhere on a shared host hits all of them alike; times are compared with our
torch eager fp32 path (`--nvidia-repo PATH` times NVIDIA's own generator beside ours instead).
The table gives the median (ratios use it) and the best run, which says more about the
machine when the host is busy. Outputs are checked against eager fp32 with the tolerances of
`bench.generator`. One more row runs eager fp32 in a child process without transparent huge
pages, to show what they are worth. Graphs are exported and compiled once and kept in the
user cache, so only a first run is slow.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

BASELINE = ("torch", "fp32")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--backends",
        action="store_true",
        help="compare every backend and precision per resolution (official configs)",
    )
    parser.add_argument(
        "--resolutions",
        default="256,512,1024",
        help="with --backends: official configurations to time (default 256,512,1024)",
    )


def run(args: argparse.Namespace) -> int:
    import torch

    from installation.bench.generator import chosen_precisions
    from installation.bench.timing import print_table
    from installation.errors import UserError
    from installation.model.loading import load_model, pick_device
    from installation.timing import machine_description

    if args.threads:
        torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    precisions = chosen_precisions(device, args.precisions)
    precisions = ["fp32", *(p for p in precisions if p != "fp32")]  # eager fp32 is the baseline
    try:
        resolutions = [args.official] if args.official else [int(r) for r in args.resolutions.split(",")]
    except ValueError:
        raise UserError(f"bad --resolutions {args.resolutions!r}: use e.g. 256,512") from None
    if args.model not in (None, "", "default") and not args.official:
        models = [(None, lambda: load_model(args.model, device))]
    else:
        models = [(res, lambda res=res: _official(res, device)) for res in resolutions]
    print(
        f"{torch.get_num_threads()} threads, {machine_description(device)['cpu']}; "
        "ratio: time / torch eager fp32 (below 1 is faster); conv share: the frame's convolutions "
        "run alone in its precision / the frame (100 % = the machine's convolution rate)"
    )
    results = {
        "machine": machine_description(device),
        "thp": os.environ.get("THP_MEM_ALLOC_ENABLE"),
        "models": [],
    }
    for official_res, build in models:
        G = build()
        model = compare(G, device, precisions, args.repeats, official_res)
        results["models"].append(model)
        print(f"\n{model['name']}: {model['resolution']} px on {device}")
        print_table(
            [
                "backend",
                "precision",
                "ms/frame",
                "best ms",
                "ratio",
                "max|diff|/std",
                "ok",
                "faults/frame",
                "build s",
                "conv GFLOP/s",
                "conv share",
            ],
            [
                [
                    r["backend"],
                    r["precision"],
                    f"{r['ms']:.1f}",
                    f"{r['best_ms']:.1f}",
                    f"{r['ratio']:.2f}",
                    f"{r['rel_err']:.1e}" if "rel_err" in r else "",
                    r.get("ok", ""),
                    r.get("faults", ""),
                    f"{r['build_s']:.0f}" if "build_s" in r else "",
                    f"{r['conv_floor']['gflops']:.0f}" if "conv_floor" in r else "",
                    f"{r['conv_share']:.0%}" if "conv_share" in r else "",
                ]
                for r in model["rows"]
            ],
        )
    with open(args.json, "w") as f:
        json.dump(results, f, indent=2)
    print(f"\nwrote {args.json}")
    return 0


def _official(resolution: int, device):
    """NVIDIA's official configuration at `resolution` with seeded random weights."""
    import torch

    from installation.bench.generator import official_config
    from installation.model.generator import Generator

    torch.manual_seed(0)
    return Generator(official_config(resolution)).requires_grad_(False).eval().to(device)


def compare(G, device, precisions: list[str], repeats: int, official_res: int | None) -> dict:
    """One model: build every (backend, precision), time them in round robin, check outputs."""
    import torch

    from installation.backends import available_backends, create_backend
    from installation.backends.auto import round_robin
    from installation.backends.graph import example_inputs, takes_transform
    from installation.bench.conv_rate import convolution_floor, traced_convolutions
    from installation.bench.generator import TOLERANCES
    from installation.model.stylegan3 import input_transform
    from installation.timing import device_sync

    ws, gain = example_inputs(G, 1, device)
    # A StyleGAN3 frame turned and shifted, as a show's rotate / translate feed its graphs
    posed = {}
    if takes_transform(G):
        posed["transform"] = torch.from_numpy(input_transform(20.0, (0.1, -0.05))).to(device, torch.float32)
    variants, rows = {}, {}
    for precision in precisions:
        for name in available_backends(device, precision):
            start = time.perf_counter()
            backend = create_backend(G, device, precision, name, background=False)
            if not backend.prepare():
                continue  # its build failed, as logged; eager is timed on its own row anyway
            variants[(name, precision)] = backend
            rows[(name, precision)] = {"backend": name, "precision": precision}
            if name != "torch":
                rows[(name, precision)]["build_s"] = time.perf_counter() - start
    faults = dict.fromkeys(variants, 0)

    def counted(key, backend):
        def call():
            before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            backend.render(ws, noise_gain=gain, **posed)
            faults[key] += resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

        return call

    for backend in variants.values():
        backend.render(ws, noise_gain=gain, **posed)  # warm-up
    samples = round_robin({key: counted(key, b) for key, b in variants.items()}, repeats, device_sync(device))
    reference = variants[BASELINE].render(ws, noise_gain=gain, **posed).float()
    std = float(reference.std())
    for key, backend in variants.items():
        row = rows[key]
        row["ms"] = statistics.median(samples[key])
        row["best_ms"] = min(samples[key])
        row["faults"] = faults[key] // len(samples[key])
        err = float((backend.render(ws, noise_gain=gain, **posed).float() - reference).abs().max())
        row.update(
            max_abs_err=err,
            rel_err=err / std,
            tolerance=TOLERANCES[key[1]],
            ok=err / std <= TOLERANCES[key[1]],
        )
    floors = {
        precision: convolution_floor(
            traced_convolutions(G, ws, precision, noise_gain=gain, **posed),
            device,
            repeats,
            device_sync(device),
        )
        for precision in precisions
    }
    for (_, precision), row in rows.items():
        row["conv_floor"] = floors[precision]
        row["conv_share"] = floors[precision]["ms"] / row["ms"]
    if official_res is not None and device.type == "cpu":
        rows[("torch", "fp32, THP off")] = _eager_without_thp(official_res, repeats)
    base_ms = rows[BASELINE]["ms"]
    for row in rows.values():
        row["ratio"] = row["ms"] / base_ms
    name = G.config.extra.get("description", "model")
    return {
        "name": name,
        "resolution": G.config.img_resolution,
        "rows": list(rows.values()),
    }


def _eager_without_thp(resolution: int, repeats: int) -> dict:
    """Eager fp32 in a child process whose torch loads with THP_MEM_ALLOC_ENABLE=0."""
    import torch

    env = {**os.environ, "THP_MEM_ALLOC_ENABLE": "0"}
    threads = torch.get_num_threads()
    code = f"from installation.bench.backends import _child; _child({resolution}, {repeats}, {threads})"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return {
        "backend": "torch",
        "precision": "fp32, THP off",
        **json.loads(out.stdout.strip().splitlines()[-1]),
    }


def _child(resolution: int, repeats: int, threads: int) -> None:
    """The THP-off row, printed as JSON (run in a fresh interpreter by `_eager_without_thp`)."""
    import torch

    from installation.backends.auto import round_robin
    from installation.backends.graph import example_inputs

    torch.set_num_threads(threads)
    G = _official(resolution, torch.device("cpu"))
    ws, gain = example_inputs(G, 1)
    with torch.inference_mode():
        G.synthesis(ws)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        (times,) = round_robin({0: lambda: G.synthesis(ws, noise_gain=gain)}, repeats, lambda: None).values()
        faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) // len(times)
    print(json.dumps({"ms": statistics.median(times), "best_ms": min(times), "faults": faults}))
