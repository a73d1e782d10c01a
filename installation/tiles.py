"""One screen's tile of a wall-sized native canvas (`--tile COL,ROW --tiles COLS,ROWS`), as
windows on every layer of the whole canvas's generator; torch-free, so the flags are checked
before a model loads.

Every StyleGAN2 layer is local: a 3x3 modulated convolution, a 4-tap FIR up-sampling, per-pixel
noise, a 1x1 to-RGB. So a pixel of the picture depends only on a small neighbourhood of each
layer below it, and a tile is computed exactly by running each layer over a window of the
whole canvas's layer that holds that neighbourhood: the tile's own pixels plus a margin, found
here by walking down from the picture, layer by layer. A window's edge that is not the
canvas's own is wrong where the zero padding reaches in; the margins keep that band outside
what the layer above reads. Near the canvas's own edges the window stops at the edge, as the
whole canvas's layers do (the same zero padding), so tiles are exact there too.

Pixels of one resolution of the whole canvas; the windows of a resolution are (top, left,
height, width).
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass

from installation.errors import UserError

Window = tuple[int, int, int, int]  # top, left, height, width
# How far below a layer's window its input reaches, in the input's pixels, on each side; a
# little more than the ops need (measured exact in tests/model/test_tiles.py).
UP_CONV_REACH = 3  # a stride-2 transposed 3x3 convolution, then the 4-tap blur
UP_IMAGE_REACH = 2  # the skip path's picture: zeros inserted, then the 4-tap blur
CONV_REACH = 1  # a 3x3 convolution


@dataclass(frozen=True)
class TileLayout:
    """Tile (col, row) of a wall of `grid` = (cols, rows) tiles over a canvas of `cells` =
    (rows, cols) constant cells. `visible[r]` is what the tile shows at resolution r, its
    overlap with its neighbours included; `computed[r]` the window block r renders."""

    cells: tuple[int, int]
    tile: tuple[int, int]
    grid: tuple[int, int]
    overlap: int
    visible: tuple[tuple[int, Window], ...]
    computed: tuple[tuple[int, Window], ...]

    def visible_at(self, res: int) -> Window:
        return dict(self.visible)[res]

    def computed_at(self, res: int) -> Window:
        return dict(self.computed)[res]

    def noise_window(self, res: int, conv: int) -> Window:
        """The window of the canvas's noise that layer b{res}.conv{conv} adds: conv0 works on
        the up-sampled window of the block below, conv1 on its block's own."""
        if conv == 1 or res == 4:
            return self.computed_at(res)
        top, left, height, width = self.computed_at(res // 2)
        return 2 * top, 2 * left, 2 * height, 2 * width

    def canvas_size(self, res: int) -> tuple[int, int]:
        """(height, width) of the whole canvas at `res`."""
        return self.cells[0] * res // 4, self.cells[1] * res // 4

    def describe(self, res: int) -> str:
        top, left, height, width = self.visible_at(res)
        canvas_h, canvas_w = self.canvas_size(res)
        col, row = self.tile
        return (
            f"tile {col},{row} of {self.grid[0]}x{self.grid[1]}: {width}x{height} px at x {left}, y {top} "
            f"of the {canvas_w}x{canvas_h} canvas"
        )


@dataclass(frozen=True)
class TileChoice:
    """Which tile a machine renders: `position` (col, row) of `grid` (cols, rows), counted from
    the top left, showing `overlap` top-resolution pixels of its neighbours on each inner side."""

    position: tuple[int, int]
    grid: tuple[int, int]
    overlap: int = 0


def parse_tile(tile: str, tiles: str, overlap: int = 0) -> TileChoice:
    """--tile 'COL,ROW' --tiles 'COLS,ROWS' --tile-overlap PX, or a UserError."""
    pairs = []
    for flag, text in (("--tile", tile), ("--tiles", tiles)):
        try:
            a, b = (int(part) for part in text.split(","))
        except ValueError:
            raise UserError(f"{flag} {text!r}: give two whole numbers as COL,ROW, e.g. {flag} 1,0") from None
        pairs.append((a, b))
    (col, row), (cols, rows) = pairs
    if cols < 1 or rows < 1:
        raise UserError(f"--tiles {tiles!r}: at least one column and one row")
    if not (0 <= col < cols and 0 <= row < rows):
        raise UserError(
            f"--tile {tile!r}: columns count 0 to {cols - 1} and rows 0 to {rows - 1} (from the top left)"
        )
    if overlap < 0:
        raise UserError(f"--tile-overlap {overlap}: pixels, 0 or more")
    return TileChoice((col, row), (cols, rows), overlap)


def tile_layout(cells: tuple[int, int], resolutions: list[int], choice: TileChoice) -> TileLayout:
    """The windows of `choice`'s tile on a canvas of `cells`, for a generator with blocks at
    `resolutions` (4 ... top)."""
    top_res = resolutions[-1]
    canvas_h, canvas_w = cells[0] * top_res // 4, cells[1] * top_res // 4
    (col, row), (cols, rows), overlap = choice.position, choice.grid, choice.overlap
    if cols > canvas_w or rows > canvas_h:
        raise UserError(f"--tiles {cols},{rows}: more tiles than the {canvas_w}x{canvas_h} canvas has pixels")
    x0, x1 = _split(canvas_w, cols, col, overlap)
    y0, y1 = _split(canvas_h, rows, row, overlap)
    visible, computed = {}, {}
    needed: Window | None = None  # what the block above reads from this one, exactly
    for res in reversed(resolutions):
        scale = res / top_res
        height, width = cells[0] * res // 4, cells[1] * res // 4
        top, bottom = _scaled(y0, y1, scale)
        left, right = _scaled(x0, x1, scale)
        visible[res] = (top, left, bottom - top, right - left)
        exact = visible[res] if needed is None else _union(visible[res], needed)
        computed[res] = _clip(_grow(exact, CONV_REACH), height, width)  # conv1's padding stays outside
        if res > 4:
            below = (height // 2, width // 2)
            from_conv = _clip(_grow(_halve(_grow(exact, CONV_REACH)), UP_CONV_REACH), *below)
            from_image = _clip(_grow(_halve(exact), UP_IMAGE_REACH), *below)
            needed = _union(from_conv, from_image)
    ordered = sorted(resolutions)
    return TileLayout(
        cells,
        choice.position,
        choice.grid,
        overlap,
        tuple((res, visible[res]) for res in ordered),
        tuple((res, computed[res]) for res in ordered),
    )


def _split(size: int, parts: int, index: int, overlap: int) -> tuple[int, int]:
    start, stop = index * size // parts, (index + 1) * size // parts
    return max(0, start - overlap), min(size, stop + overlap)


def _scaled(start: int, stop: int, scale: float) -> tuple[int, int]:
    """[start, stop) at a lower resolution, rounded the same way on both sides of a seam (so
    neighbours' tiles still meet there), at least one pixel."""
    start, scaled_stop = math.floor(start * scale + 0.5), math.floor(stop * scale + 0.5)
    return start, max(start + 1, scaled_stop)


def _grow(window: Window, by: int) -> Window:
    top, left, height, width = window
    return top - by, left - by, height + 2 * by, width + 2 * by


def _halve(window: Window) -> Window:
    """The window of the resolution below that holds `window`'s pixels."""
    top, left, height, width = window
    bottom, right = top + height, left + width
    top, left = top // 2, left // 2
    return top, left, -(-bottom // 2) - top, -(-right // 2) - left


def _union(a: Window, b: Window) -> Window:
    top, left = min(a[0], b[0]), min(a[1], b[1])
    bottom, right = max(a[0] + a[2], b[0] + b[2]), max(a[1] + a[3], b[1] + b[3])
    return top, left, bottom - top, right - left


def _clip(window: Window, height: int, width: int) -> Window:
    top, left, h, w = window
    bottom, right = min(height, top + h), min(width, left + w)
    top, left = max(0, top), max(0, left)
    return top, left, bottom - top, right - left


def add_tile_arguments(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """--tile, --tiles and --tile-overlap: one screen's tile of the show's canvas."""
    parser.add_argument(
        "--tile",
        metavar="COL,ROW",
        default=None,
        help="render only this tile of the canvas (from the top left, 0,0), with --tiles",
    )
    parser.add_argument(
        "--tiles", metavar="COLS,ROWS", default="1,1", help="the wall's tiles across and down (default 1,1)"
    )
    parser.add_argument(
        "--tile-overlap",
        metavar="PX",
        type=int,
        default=0,
        help="pixels each tile also shows of its neighbours', for blending projector edges (default 0)",
    )


def tile_choice(args: argparse.Namespace) -> TileChoice | None:
    """The TileChoice the flags name, or None without --tile."""
    if args.tile is None:
        if args.tiles != "1,1" or args.tile_overlap:
            raise UserError("--tiles and --tile-overlap go with --tile COL,ROW")
        return None
    return parse_tile(args.tile, args.tiles, args.tile_overlap)
