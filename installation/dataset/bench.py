"""Throughput of `prep` on 12-megapixel JPEGs: a per-stage breakdown and images per second."""

from __future__ import annotations

import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from installation.dataset import crop, decode
from installation.dataset.colorstats import describe
from installation.dataset.dedupe import phash
from installation.dataset.options import PrepOptions
from installation.dataset.pipeline import prepare
from installation.dataset.process import PNG_PARAMS


def make_photos(folder: Path, count: int, megapixels: float, seed: int = 0) -> list[Path]:
    """Photo-like JPEGs (4:3, quality 90, about 3 MB at 12 MP), each one different.

    Pure noise would compress far worse than a photo and decode slower; a smooth random
    scene with mid- and fine-scale texture gives file sizes like a phone camera's.
    """
    height = round((megapixels * 1e6 * 3 / 4) ** 0.5)
    width = height * 4 // 3
    paths = []
    for number in range(count):
        rng = np.random.default_rng(seed + number)
        scene = cv2.resize(
            rng.integers(0, 256, (6, 8, 3), dtype=np.uint8), (width, height), interpolation=cv2.INTER_CUBIC
        ).astype(np.float32)
        texture = cv2.resize(
            rng.normal(0, 18, (height // 6, width // 6, 3)).astype(np.float32),
            (width, height),
            interpolation=cv2.INTER_LINEAR,
        )
        # Fine grain, tiled: drawing 12 million normal samples per photo would be the slow part.
        patch = rng.normal(0, 6, (256, 256, 3)).astype(np.float32)
        grain = np.tile(patch, (height // 256 + 1, width // 256 + 1, 1))[:height, :width]
        photo = np.clip(scene + texture + grain, 0, 255).astype(np.uint8)
        path = folder / f"photo{number:03d}.jpg"
        cv2.imwrite(str(path), photo, [cv2.IMWRITE_JPEG_QUALITY, 90])
        paths.append(path)
    return paths


def stage_milliseconds(path: Path, size: int, repeats: int = 3) -> dict[str, float]:
    """Median time of each step for one file, on one core."""
    cv2.setNumThreads(1)
    options = PrepOptions(size=size)
    data = path.read_bytes()
    probe = decode.probe_size(data)
    reduction = crop.decode_reduction(probe, size, options.crop)
    image = decode.decode(data, options.background, reduction)
    square = crop.square(image, size, options.crop, options.pad_fill)
    steps: dict[str, Callable[[], object]] = {
        "read file": path.read_bytes,
        f"decode (1/{reduction} scale)": lambda: decode.decode(data, options.background, reduction),
        f"crop + resize to {size}": lambda: crop.square(image, size, options.crop, options.pad_fill),
        "hashes + color stats": lambda: (phash(square), phash(cv2.flip(square, 1)), describe(square)),
        "PNG encode": lambda: cv2.imencode(".png", square, PNG_PARAMS),
    }
    timings = {}
    for name, step in steps.items():
        samples = []
        for _ in range(repeats):
            start = time.perf_counter()
            step()
            samples.append(time.perf_counter() - start)
        timings[name] = statistics.median(samples) * 1000
    cv2.setNumThreads(-1)
    return timings


def run(count: int, worker_counts: Sequence[int], size: int, megapixels: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-prep-") as temp:
        folder = Path(temp) / "photos"
        folder.mkdir()
        photos = make_photos(folder, count, megapixels)
        runs = []
        for workers in worker_counts:
            options = PrepOptions(size=size, workers=workers)
            start = time.perf_counter()
            outcome = prepare([folder], Path(temp) / f"out{workers}.zip", options, show_progress=False)
            total = time.perf_counter() - start
            process = outcome.seconds["process"]
            runs.append(
                {
                    "workers": workers,
                    "images": outcome.counts()["written"],
                    "process_s": round(process, 3),
                    "process_images_per_s": round(count / process, 2),
                    "end_to_end_s": round(total, 3),
                    "end_to_end_images_per_s": round(count / total, 2),
                }
            )
        return {
            "machine": _machine(),
            "load_average_1min": round(os.getloadavg()[0], 2),
            "source": {
                "count": count,
                "megapixels": megapixels,
                "average_mb": round(sum(p.stat().st_size for p in photos) / count / 1e6, 2),
            },
            "size": size,
            "stages_ms": {k: round(v, 1) for k, v in stage_milliseconds(photos[0], size).items()},
            "runs": runs,
        }


def table(result: dict[str, Any]) -> str:
    source = result["source"]
    lines = [
        f"{result['machine']}; load average {result['load_average_1min']}",
        f"{source['count']} JPEGs of {source['megapixels']:g} MP ({source['average_mb']} MB each)"
        f" -> {result['size']} px",
        "",
        f"{'stage, one file, one core':<32}{'ms':>8}",
    ]
    lines += [f"{name:<32}{ms:>8.1f}" for name, ms in result["stages_ms"].items()]
    lines += [f"{'sum':<32}{sum(result['stages_ms'].values()):>8.1f}", ""]
    lines.append(f"{'workers':>7}{'process s':>11}{'images/s':>10}{'end-to-end s':>14}{'images/s':>10}")
    for r in result["runs"]:
        lines.append(
            f"{r['workers']:>7}{r['process_s']:>11.2f}{r['process_images_per_s']:>10.2f}"
            f"{r['end_to_end_s']:>14.2f}{r['end_to_end_images_per_s']:>10.2f}"
        )
    return "\n".join(lines)


def _machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} CPUs, Python {platform.python_version()}, OpenCV {cv2.__version__}"
