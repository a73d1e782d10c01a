"""`run.py bench MODEL --canvas 16:9`: the square model and its canvas by each fill, side by side:
cost per frame, and what each fill does to the picture (a StyleGAN3 model has one canvas, its
Fourier field sampled further: row `field`).

Picture measures, over the same latents for every row:
- `seam`: mean horizontal gradient across the edges of the original cells over the median
  column's (1 means no visible seam, above 1 a line);
- `repeat`: correlation of the picture with itself shifted by the constant's width (how much
  the subject recurs: tiling's failure);
- `mirror`: correlation of the two sides of the original's right edge, one reflected (how much
  the picture mirrors there: mirroring's failure);
- `kept`: correlation of the canvas's original cells with the square picture (the subject at
  its own scale: 1 would be the square picture unchanged).
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from installation.bench.timing import write_json
from installation.canvas import FILLS
from installation.errors import UserError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--canvas",
        metavar="SPEC",
        default=None,
        help='compare the square model with canvas SPEC ("16:9") by each fill: cost and picture',
    )
    parser.add_argument("--canvas-seeds", type=int, default=16, help="pictures per row (default 16)")


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a - a.mean(), b - b.mean()
    denominator = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum()) / denominator if denominator else 0.0


def picture_measures(images: np.ndarray, square: np.ndarray, native: tuple[int, int]) -> dict:
    """The module docstring's measures of canvas `images` [N, C, H, W], left-right; `native`:
    the square model's (rows, columns) of cells."""
    rows = native[0]
    cell = images.shape[-2] // rows
    width = images.shape[-1]
    left = (width // cell - native[1]) // 2 * cell
    right = left + native[1] * cell
    gradient = np.abs(np.diff(images, axis=-1)).mean(axis=(0, 1, 2))
    edges = [e - 1 for e in (left, right) if 0 < e < width]
    period = native[1] * cell
    reach = min(right, width - right)
    return {
        "seam": float(gradient[edges].mean() / np.median(gradient)) if edges else 1.0,
        "repeat": float(np.mean([_corr(im[..., : width - period], im[..., period:]) for im in images])),
        "mirror": float(
            np.mean(
                [
                    _corr(im[..., right - reach : right][..., ::-1], im[..., right : right + reach])
                    for im in images
                ]
            )
        )
        if reach
        else 0.0,
        "kept": float(np.mean([_corr(im[..., left:right], s) for im, s in zip(images, square, strict=True)])),
    }


def _interleaved_ms(calls: list, device: torch.device, repeats: int) -> list[float]:
    """Median ms of each call, timed in turns so that a busy spell of the machine hits all alike."""
    from installation.timing import device_sync, median_ms

    sync = device_sync(device)
    for call in calls:
        call()  # warm-up
    rounds = [[median_ms(call, 1, warmup=0, sync=sync) for call in calls] for _ in range(max(1, repeats))]
    return [float(np.median(column)) for column in zip(*rounds, strict=True)]


def run(args: argparse.Namespace) -> int:
    from installation.bench.timing import print_table
    from installation.model.canvas import canvas_geometry, canvas_pixels, with_canvas
    from installation.model.imaging import seed_latents
    from installation.model.loading import load_model, pick_device
    from installation.model.stylegan3 import is_stylegan3
    from installation.timing import machine_description

    if args.canvas_seeds < 1:
        raise UserError("--canvas-seeds must be at least 1")
    device = pick_device(args.device)
    G = load_model(args.model, device)
    n = args.canvas_seeds
    labels = torch.eye(G.c_dim)[torch.arange(n) % G.c_dim].to(device) if G.c_dim else None
    with torch.inference_mode():
        ws = G.mapping(seed_latents(list(range(n)), G.z_dim).to(device), labels, truncation_psi=0.7)
        square = G.synthesis(ws).float().cpu().numpy()
        if is_stylegan3(G):  # its Fourier input is sampled further: there is nothing to fill
            canvases = [("field", with_canvas(G, args.canvas))]
        else:
            canvases = [(fill, with_canvas(G, args.canvas, fill)) for fill in FILLS]
        models = [("square", G), *canvases]
        native = canvas_geometry(G.config, args.canvas)[0]
        times = _interleaved_ms(
            [lambda m=model: m.synthesis(ws[:1]) for _, model in models], device, args.repeats
        )
        results = []
        for (name, model), ms in zip(models, times, strict=True):
            images = model.synthesis(ws).float().cpu().numpy()
            width, height = canvas_pixels(model)
            row = {"model": name, "size": f"{width}x{height}", "ms_per_frame": ms}
            if model is not G:
                row.update(picture_measures(images, square, native))
            results.append(row)
    print(f"{G.config.extra.get('description', args.model)}: canvas {args.canvas}, {n} seeds, on {device}")
    print_table(
        ["model", "size", "ms/frame", "vs square", "seam", "repeat", "mirror", "kept"],
        [
            [
                r["model"],
                r["size"],
                f"{r['ms_per_frame']:.1f}",
                f"{r['ms_per_frame'] / results[0]['ms_per_frame']:.2f}x",
                *(f"{r[k]:.2f}" if k in r else "" for k in ("seam", "repeat", "mirror", "kept")),
            ]
            for r in results
        ],
    )
    report = {"canvas": args.canvas, "seeds": n, "rows": results, "machine": machine_description(device)}
    write_json(report, args.json)
    return 0
