"""A native canvas of another shape: the generator's constant input (and every noise buffer)
widened or heightened, so the network paints a 16:9 or triple-wide picture itself.

How many cells of the constant a canvas takes is `installation.canvas`'s rule. The original
constant sits in the middle; the cells around it are filled by one of `FILLS`:
- "tile": the constant repeated (its opposite edges meet at the seams);
- "mirror": the constant reflected at its edges (continuous there, but mirror-symmetric).
docs/ARCHITECTURE.md says which looked better on a trained model, and why it is the default.
A StyleGAN3 model has no constant: its Fourier input is sampled on a wider grid instead
(`installation.model.stylegan3_canvas`), and the fill does not apply.
"""

from __future__ import annotations

import dataclasses
import re

import torch

from installation.canvas import DEFAULT_FILL, FILLS, canvas_cells
from installation.errors import UserError
from installation.model.generator import Generator
from installation.model.stylegan3 import StyleGAN3Generator
from installation.model.stylegan3_canvas import cell_pixels, field_cells, with_field_canvas

_NOISE_BUFFER = re.compile(r"synthesis\.b(\d+)\.conv[01]\.noise_const")


def canvas_pixels(G: Generator | StyleGAN3Generator, resolution: int | None = None) -> tuple[int, int]:
    """(width, height) of G's frames at `resolution` (default: its top one, StyleGAN3's only);
    a tile's own."""
    if isinstance(G, StyleGAN3Generator):
        return G.config.image_size
    res = resolution or G.img_resolution
    tile = G.config.tile
    if tile is not None:
        height, width = tile.visible_at(res)[2:]
        return width, height
    rows, cols = G.config.init_size
    return cols * res // 4, rows * res // 4


def canvas_geometry(config, spec: str) -> tuple[tuple[int, int], tuple[int, int], float]:
    """(native cells, canvas cells, pixels per cell) of canvas `spec` on a model of `config`
    (StyleGAN2's or StyleGAN3's), cells as (rows, columns); UserError for a canvas that cannot be."""
    if config.architecture == "stylegan3":
        native, cell = field_cells(config), cell_pixels(config)
    else:
        native, cell = config.init_size, config.img_resolution / 4  # each block doubles the constant
    return native, canvas_cells(spec, native, cell), cell


def extend_field(field: torch.Tensor, rows: int, cols: int, fill: str, cell: int = 1) -> torch.Tensor:
    """`field` [..., h, w] grown (or cut) to [..., rows, cols] by `fill`, placed in the middle
    on whole cells of `cell` pixels (so every layer's noise lines up with the constant)."""
    h, w = field.shape[-2:]
    top, left = ((rows - h) // cell // 2 * cell, (cols - w) // cell // 2 * cell)
    return field[..., _indices(rows, h, top, fill)[:, None], _indices(cols, w, left, fill)[None, :]]


def _indices(size: int, native: int, offset: int, fill: str) -> torch.Tensor:
    """Source index of each of `size` positions whose native run starts at `offset`."""
    steps = torch.arange(size) - offset
    if fill == "tile":
        return steps % native
    period = 2 * native  # mirror: 0 1 2 3 3 2 1 0 0 1 ...
    folded = steps % period
    return torch.where(folded < native, folded, period - 1 - folded)


def with_canvas(G: Generator | StyleGAN3Generator, spec: str, fill: str = DEFAULT_FILL):
    """G painting canvas `spec` natively (G itself when that is its own shape): the same weights,
    with StyleGAN2's constant and each layer's constant noise extended by `fill`, or
    StyleGAN3's input field sampled further."""
    if fill not in FILLS:
        raise UserError(f"canvas fill {fill!r}: expected one of {', '.join(FILLS)}")
    if not spec.strip():
        return G
    native, (rows, cols), _ = canvas_geometry(G.config, spec)
    if (rows, cols) == native:
        return G
    if isinstance(G, StyleGAN3Generator):
        return with_field_canvas(G, spec, rows, cols)
    device = next(G.parameters()).device
    state = {}
    for key, tensor in G.state_dict().items():
        if key == "synthesis.b4.const":
            tensor = extend_field(tensor, rows, cols, fill)
        elif match := _NOISE_BUFFER.fullmatch(key):
            scale = int(match.group(1)) // 4  # this layer's pixels per cell of the constant
            tensor = extend_field(tensor, rows * scale, cols * scale, fill, cell=scale)
        state[key] = tensor
    extra = {**G.config.extra, "canvas": spec, "canvas_fill": fill, "native_cells": native}
    config = dataclasses.replace(G.config, init_size=(rows, cols), extra=extra)
    return Generator.from_state_dict(config, state).to(device)


def describe_canvas(G: Generator | StyleGAN3Generator) -> str:
    """'1792x1024 px (4x7 cells, tile)' for a canvas model, '' for a model of its own shape."""
    if "canvas" not in G.config.extra:
        return ""
    width, height = canvas_pixels(G)
    rows, cols = field_cells(G.config) if isinstance(G, StyleGAN3Generator) else G.config.init_size
    ratio = width / height
    return f"{width}x{height} px ({rows}x{cols} cells, {G.config.extra['canvas_fill']}, aspect {ratio:.3f})"
