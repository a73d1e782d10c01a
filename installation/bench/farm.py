"""`run.py bench --farm SHOW`: the same render made here and on a local Ray cluster, side by
side in one run: wall time of the whole command as a user runs it (start-up, model loads and
the join included), frames per second, and whether the files are the same bytes.

Rows: here with every core (the default render), here with one thread, and Ray with one and
with N workers of one thread each. The one-thread render here is the farm's reference: the
same thread count gives the same bytes, so its file must equal the farm's. Every row renders
with torch eager: 'auto' would calibrate backends inside the first timed runs."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from installation.errors import UserError
from installation.sinks.extras import require


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--farm",
        metavar="SHOW",
        default=None,
        help="time `render SHOW` here and on a local Ray cluster (1 and N workers), check the bytes match",
    )
    parser.add_argument("--farm-seconds", type=float, default=4.0, help="video length (default 4 s)")
    parser.add_argument(
        "--farm-workers", type=int, default=None, help="Ray workers of the last row (default: the CPU count)"
    )
    parser.add_argument(
        "--farm-chunk-seconds", type=float, default=1.0, help="chunk length (default 1 s: several per worker)"
    )


def run(args: argparse.Namespace) -> int:
    from installation.bench.timing import print_table
    from installation.timing import machine_description

    require("ray", "ray", "bench --farm")
    cores = os.cpu_count() or 1
    workers = args.farm_workers or cores
    if workers < 1:
        raise UserError("--farm-workers must be at least 1")
    cases = [
        (f"here, {cores} threads", cores, []),
        ("here, 1 thread", 1, []),
        ("ray, 1 worker", 1, ["--ray", "--workers", "1"]),
        (f"ray, {workers} workers", 1, ["--ray", "--workers", str(workers)]),
    ]
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-farm-") as folder:
        for name, threads, farm in cases:
            out = Path(folder) / f"{len(rows)}.mp4"
            command = [
                sys.executable,
                "-c",
                "import sys; from installation.cli import main; sys.exit(main())",
            ]
            command += ["render", args.farm, "--seconds", str(args.farm_seconds), "--threads", str(threads)]
            command += ["--chunk-seconds", str(args.farm_chunk_seconds), "--backend", "torch"]
            command += ["--out", str(out), *farm]
            if args.device != "auto":
                command += ["--device", args.device]
            start = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True)
            seconds = time.perf_counter() - start
            if done.returncode != 0:
                raise UserError(f"bench --farm: {name} failed: {done.stderr.strip().splitlines()[-1]}")
            digest = hashlib.sha256(out.read_bytes()).hexdigest()
            rows.append({"case": name, "seconds": seconds, "sha256": digest})
    reference = rows[1]
    frames = round(args.farm_seconds * 30)
    print(f"render {args.farm}: {args.farm_seconds:g} s ({frames} frames at 30 fps), on {cores} cores")
    print_table(
        ["case", "wall s", "frames/s", "vs here, 1 thread", "same bytes as here, 1 thread"],
        [
            [
                r["case"],
                f"{r['seconds']:.1f}",
                f"{frames / r['seconds']:.2f}",
                f"{reference['seconds'] / r['seconds']:.2f}x",
                "yes" if r["sha256"] == reference["sha256"] else "no",
            ]
            for r in rows
        ],
    )
    import torch

    result = {"show": args.farm, "seconds": args.farm_seconds, "rows": rows}
    result["machine"] = machine_description(torch.device("cpu"))
    with open(args.json, "w") as f:
        json.dump(result, f, indent=2)
    print(f"\nwrote {args.json}")
    return 0
