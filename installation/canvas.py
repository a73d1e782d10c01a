"""The canvas a show asks for ("16:9", or a size in the model's pixels) as cells of the
generator's constant input; torch-free, so show files check it without loading a model.

A 4x4 constant paints 4x4 cells of R/4 pixels at the top resolution R. A canvas keeps the
model's short side and gets the nearest whole number of cells on the long one: 16:9 on a 4x4
model is 4x7 cells, 1792x1024 px at 1024 (aspect 1.75). A StyleGAN3 model's cells are the
samples of its Fourier input (16 a side, of R/16 pixels), so 16:9 is 16x28 of them, the same
1792x1024. `installation.model.canvas` grows the model to it.
"""

from __future__ import annotations

import re

from installation.errors import UserError

FILLS = ("tile", "mirror")
DEFAULT_FILL = "mirror"
MAX_TIMES = 16  # a side at most 16x the model's: that already needs 16x its memory per frame
_ASPECT = re.compile(r"\s*(\d+(?:\.\d+)?)\s*:\s*(\d+(?:\.\d+)?)\s*")
_PIXELS = re.compile(r"\s*(\d+)\s*x\s*(\d+)\s*")


def check_canvas(spec: str) -> str:
    """`spec` stripped, or UserError unless it is "", "W:H" or "WIDTHxHEIGHT"."""
    spec = spec.strip()
    if spec and not (_ASPECT.fullmatch(spec) or _PIXELS.fullmatch(spec)):
        raise UserError(f'canvas {spec!r}: expected an aspect "16:9" or a size in model pixels "1792x1024"')
    for number in re.findall(r"\d+(?:\.\d+)?", spec):
        if float(number) <= 0:
            raise UserError(f"canvas {spec!r}: its sides must be above 0")
    return spec


def canvas_cells(spec: str, native: tuple[int, int], cell_px: float) -> tuple[int, int]:
    """The (rows, columns) of cells for canvas `spec` on a model of `native` cells, each
    `cell_px` pixels at its top resolution; "" keeps `native`."""
    spec = check_canvas(spec)
    if not spec:
        return native
    if match := _PIXELS.fullmatch(spec):
        width, height = (int(g) for g in match.groups())
        rows, cols = max(1, round(height / cell_px)), max(1, round(width / cell_px))
    else:
        across, down = (float(g) for g in _ASPECT.fullmatch(spec).groups())
        rows, cols = native
        if across >= down:
            cols = max(1, round(rows * across / down))
        else:
            rows = max(1, round(cols * down / across))
    limits = (MAX_TIMES * native[0], MAX_TIMES * native[1])
    if rows > limits[0] or cols > limits[1]:
        raise UserError(
            f"canvas {spec!r} needs {rows}x{cols} cells of the model's {native[0]}x{native[1]}: "
            f"at most {limits[0]}x{limits[1]} ({MAX_TIMES}x a side)"
        )
    return rows, cols
