"""`run.py bench MODEL --wall COLS,ROWS [--wall-canvas 16:9]`: a wall's tiles against the whole
canvas rendered on one machine: the seam error of the stitched tiles, the cost of a tile, and
the margin each tile computes beyond its own pixels, layer by layer; in fp32 and in mixed
precision (what `render.precision = "auto"` picks).

- `max |diff|`: the largest difference of the stitched tiles from the whole canvas, in the
  generator's output units (the picture spans -1 to 1) and in 8-bit levels after conversion;
- PSNR (8-bit) over the seams (the pixels within SEAM_PX of a boundary between tiles) and over
  the whole picture; "exact" where the 8-bit pictures are the same.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from installation.bench.timing import write_json
from installation.errors import UserError

SEAM_PX = 8
PRECISIONS = ("fp32", "mixed")  # mixed: fp16 blocks on CUDA, bf16 on a CPU (render.precision "auto")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--wall",
        metavar="COLS,ROWS",
        default=None,
        help="tiles of a canvas against the whole canvas on one machine: seam error, cost, margins",
    )
    parser.add_argument("--wall-canvas", default="16:9", help='the wall\'s canvas (default "16:9")')
    parser.add_argument("--wall-seeds", type=int, default=4, help="pictures compared (default 4)")


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def seam_mask(height: int, width: int, grid: tuple[int, int]) -> np.ndarray:
    """[H, W] True within SEAM_PX of an inner boundary between the tiles of `grid`."""
    cols, rows = grid
    mask = np.zeros((height, width), dtype=bool)
    for col in range(1, cols):
        x = col * width // cols
        mask[:, max(0, x - SEAM_PX) : x + SEAM_PX] = True
    for row in range(1, rows):
        y = row * height // rows
        mask[max(0, y - SEAM_PX) : y + SEAM_PX, :] = True
    return mask


def _db(psnr: float | None) -> str:
    return "exact" if psnr is None else f"{psnr:.1f} dB"


def _compare(G, tiles: dict, grid: tuple[int, int], ws, precision: str, device, repeats: int) -> dict:
    """The stitched tiles against the whole canvas at `precision`, and a tile's cost beside the
    whole's (timed in turns)."""
    from installation.bench.canvas import _interleaved_ms
    from installation.model.imaging import to_uint8

    cols, rows = grid
    whole = G.synthesis(ws, precision=precision).float()
    stitched = torch.cat(
        [
            torch.cat(
                [tiles[col, row].synthesis(ws, precision=precision).float() for col in range(cols)], dim=3
            )
            for row in range(rows)
        ],
        dim=2,
    )
    first = tiles[0, 0]
    whole_ms, tile_ms = _interleaved_ms(
        [
            lambda: G.synthesis(ws[:1], precision=precision),
            lambda: first.synthesis(ws[:1], precision=precision),
        ],
        device,
        repeats,
    )
    mine, theirs = to_uint8(whole), to_uint8(stitched)
    mask = seam_mask(*mine.shape[1:3], grid)
    seam_psnr, whole_psnr = _psnr(mine[:, mask], theirs[:, mask]), _psnr(mine, theirs)
    return {
        "precision": precision,
        "max_abs_diff": float((stitched - whole).abs().max()),
        "max_8bit_levels": int(np.abs(mine.astype(np.int16) - theirs.astype(np.int16)).max()),
        "seam_psnr_db": None if seam_psnr == float("inf") else seam_psnr,
        "whole_psnr_db": None if whole_psnr == float("inf") else whole_psnr,
        "whole_ms": whole_ms,
        "tile_ms": tile_ms,
    }


def run(args: argparse.Namespace) -> int:
    from installation.bench.timing import print_table
    from installation.model.canvas import canvas_pixels, with_canvas
    from installation.model.imaging import seed_latents
    from installation.model.loading import load_model, pick_device
    from installation.model.tiles import tiled
    from installation.tiles import parse_tile
    from installation.timing import machine_description

    if args.wall_seeds < 1:
        raise UserError("--wall-seeds must be at least 1")
    grid = parse_tile("0,0", args.wall).grid
    cols, rows = grid
    device = pick_device(args.device)
    G = with_canvas(load_model(args.model, device), args.wall_canvas)
    tiles = {
        (col, row): tiled(G, parse_tile(f"{col},{row}", args.wall))
        for row in range(rows)
        for col in range(cols)
    }
    n = args.wall_seeds
    labels = torch.eye(G.c_dim)[torch.arange(n) % G.c_dim].to(device) if G.c_dim else None
    with torch.inference_mode():
        ws = G.mapping(seed_latents(list(range(n)), G.z_dim).to(device), labels, truncation_psi=0.7)
        rows_out = [_compare(G, tiles, grid, ws, precision, device, args.repeats) for precision in PRECISIONS]
    width, height = canvas_pixels(G)
    tile_w, tile_h = canvas_pixels(tiles[0, 0])
    layout = tiles[0, 0].config.tile
    margins = []
    for res in G.config.block_resolutions:
        shown, computed = layout.visible_at(res), layout.computed_at(res)
        margins.append(
            [res, f"{shown[3]}x{shown[2]}", f"{computed[3]}x{computed[2]}", computed[3] - shown[3]]
        )
    name = G.config.extra.get("description", args.model)
    print(
        f"{name}: {width}x{height} canvas as {cols}x{rows} tiles of {tile_w}x{tile_h}, {n} seeds, on {device}"
    )
    print_table(
        [
            "precision",
            "max |diff|",
            "max 8-bit",
            "seam PSNR",
            "whole PSNR",
            "whole ms",
            "tile ms",
            "tile/whole",
        ],
        [
            [
                r["precision"],
                f"{r['max_abs_diff']:.2e}",
                r["max_8bit_levels"],
                _db(r["seam_psnr_db"]),
                _db(r["whole_psnr_db"]),
                f"{r['whole_ms']:.1f}",
                f"{r['tile_ms']:.1f}",
                f"{r['tile_ms'] / r['whole_ms']:.2f}",
            ]
            for r in rows_out
        ],
    )
    print("\ntile 0,0: what it shows and what it computes, per block (the margin is its receptive field)")
    print_table(["block", "shown", "computed", "extra columns"], margins)
    report = {
        "model": args.model,
        "canvas": args.wall_canvas,
        "wall": [cols, rows],
        "seeds": n,
        "rows": rows_out,
        "margins": margins,
        "machine": machine_description(device),
    }
    write_json(report, args.json)
    return 0
