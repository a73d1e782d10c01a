"""A generator rendering one tile of a canvas generator's picture (see installation/tiles.py):
the same weights, with the constant and each layer's constant noise cut to the tile's windows."""

from __future__ import annotations

import dataclasses
import re

from installation.errors import UserError
from installation.model.generator import Generator
from installation.model.stylegan3 import is_stylegan3
from installation.tiles import TileChoice, TileLayout, Window, tile_layout

_NOISE_BUFFER = re.compile(r"synthesis\.b(\d+)\.conv([01])\.noise_const")


def layout_for(G: Generator, choice: TileChoice) -> TileLayout:
    """The windows of `choice`'s tile on G's canvas."""
    if is_stylegan3(G):
        raise UserError("--tile: only StyleGAN2 models render tiles so far, and this one is StyleGAN3")
    if G.config.tile is not None:
        raise UserError("--tile: this generator already renders a tile")
    return tile_layout(G.config.init_size, G.config.block_resolutions, choice)


def tiled(G: Generator, choice: TileChoice | None) -> Generator:
    """G rendering `choice`'s tile of its canvas (G itself for None)."""
    return G if choice is None else with_tile(G, layout_for(G, choice))


def with_tile(G: Generator, layout: TileLayout) -> Generator:
    """G (a whole canvas) rendering only `layout`'s tile of its picture."""
    device = next(G.parameters()).device
    state = {}
    for key, tensor in G.state_dict().items():
        if key == "synthesis.b4.const":
            tensor = _cut(tensor, layout.computed_at(4))
        elif match := _NOISE_BUFFER.fullmatch(key):
            tensor = _cut(tensor, layout.noise_window(int(match.group(1)), int(match.group(2))))
        state[key] = tensor
    config = dataclasses.replace(G.config, tile=layout)
    return Generator.from_state_dict(config, state).to(device)


def _cut(field, window: Window):
    top, left, height, width = window
    return field[..., top : top + height, left : left + width].contiguous()
