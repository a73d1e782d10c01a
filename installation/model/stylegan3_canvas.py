"""A native canvas for StyleGAN3: its Fourier input sampled on a wider (or taller) grid.

The input is a field of sinusoids, defined everywhere; the model samples it on the image plus
a margin. A canvas samples more of it (the same frequencies at the same rate), and each later
layer's canvas grows by the same extent at its own sampling rate, so nothing is filled in,
repeated or stretched. Widening a layer's input by n samples and its output by n * up / down
leaves the padding its resampling needs unchanged, so the stored padding and filters still
hold and only the sizes change. A cell is one sample of the input field (R / 16 pixels of
the picture in NVIDIA's configs); the native cells sit in the middle, one more on the right
(bottom) than on the left (top) when the extra count is odd.
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction

from installation.errors import UserError
from installation.model.stylegan3 import StyleGAN3Generator
from installation.model.stylegan3_config import StyleGAN3Config


def field_cells(config: StyleGAN3Config) -> tuple[int, int]:
    """(rows, columns) of input samples the picture spans (16x16 on NVIDIA's own configs)."""
    cell = cell_pixels(config)
    width, height = config.image_size
    return round(height / cell), round(width / cell)


def cell_pixels(config: StyleGAN3Config) -> int:
    """Pixels of the picture per sample of the input field: the layers' up/down ratios multiplied."""
    scale = Fraction(1)
    for layer in config.layers:
        scale = scale * layer.up / layer.down
    if scale.denominator != 1:
        raise UserError(f"this StyleGAN3 model's layers resample by {scale}: not a whole number of pixels")
    return int(scale)


def widened(config: StyleGAN3Config, rows: int, cols: int) -> StyleGAN3Config:
    """`config` painting `rows` x `cols` cells (see field_cells), each layer's size grown by the
    extra cells at its own sampling rate."""
    native_rows, native_cols = field_cells(config)
    extra = (cols - native_cols, rows - native_rows)  # (x, y), as the sizes are stored
    before = (extra[0] // 2, extra[1] // 2)  # cells added on the left and at the top
    inp = config.input
    cx, cy = inp.origin or (inp.size[0] / 2, inp.size[1] / 2)
    field = dataclasses.replace(inp, size=_grown(inp.size, extra, 1), origin=(cx + before[0], cy + before[1]))
    scale, layers = Fraction(1), []
    for layer in config.layers:
        out_scale = scale * layer.up / layer.down
        if out_scale.denominator != 1:
            raise UserError(
                f"StyleGAN3 layer {layer.name} resamples the field by {out_scale}: no canvas fits"
            )
        layers.append(
            dataclasses.replace(
                layer,
                in_size=_grown(layer.in_size, extra, scale),
                out_size=_grown(layer.out_size, extra, out_scale),
            )
        )
        scale = out_scale
    return dataclasses.replace(config, input=field, layers=tuple(layers))


def _grown(size: tuple[int, int], extra: tuple[int, int], scale: Fraction) -> tuple[int, int]:
    return size[0] + int(extra[0] * scale), size[1] + int(extra[1] * scale)


def with_field_canvas(G: StyleGAN3Generator, spec: str, rows: int, cols: int) -> StyleGAN3Generator:
    """G sampling its field on `rows` x `cols` cells: the same tensors, wider layers."""
    config = widened(G.config, rows, cols)
    extra = {
        **G.config.extra,
        "canvas": spec,
        "canvas_fill": "Fourier field",
        "native_cells": field_cells(G.config),
    }
    device = next(G.parameters()).device
    return StyleGAN3Generator.from_state_dict(dataclasses.replace(config, extra=extra), G.state_dict()).to(
        device
    )
