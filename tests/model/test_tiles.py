"""Tiles of one native canvas: each computed from windows of the whole canvas's layers, and
stitched they are the whole canvas rendered at once, seams included."""

import numpy as np
import pytest
import torch

from installation.cli import main
from installation.commands.play import DEFAULT_SHOW
from installation.errors import UserError
from installation.model.canvas import canvas_pixels, with_canvas
from installation.model.tiles import layout_for, tiled
from installation.motion.noise import NoiseLoop
from installation.tiles import parse_tile
from tests.model.helpers import tiny_generator

SEAM_TOLERANCE = 1e-5  # float32 rounding: a window's convolutions may sum in another order


@pytest.fixture(scope="module")
def canvas():
    return with_canvas(tiny_generator(seed=1, resolution=64), "16:9")  # 4x7 cells: 112x64 px


def tiles_of(G, grid: tuple[int, int], overlap: int = 0) -> dict:
    cols, rows = grid
    return {
        (col, row): tiled(G, parse_tile(f"{col},{row}", f"{cols},{rows}", overlap))
        for row in range(rows)
        for col in range(cols)
    }


def stitched(parts: dict, grid: tuple[int, int], picture) -> torch.Tensor:
    """The tiles' pictures (picture(tile G) each) placed on one canvas at their windows."""
    cols, rows = grid
    rows_of = [torch.cat([picture(parts[col, row]) for col in range(cols)], dim=3) for row in range(rows)]
    return torch.cat(rows_of, dim=2)


@pytest.mark.parametrize("grid", [(2, 1), (2, 2), (3, 2)])
def test_tiles_stitch_into_the_whole_canvas(canvas, grid):
    torch.manual_seed(0)
    ws = canvas.mapping(torch.randn(2, canvas.z_dim), truncation_psi=0.7)
    whole_loop, parts = NoiseLoop.for_generator(canvas), tiles_of(canvas, grid)
    loops = {position: NoiseLoop.for_generator(G) for position, G in parts.items()}
    phases = np.array([0.1, 0.6])
    with torch.inference_mode():
        whole = canvas.synthesis(ws)
        whole_looping = canvas.synthesis(ws, noise=whole_loop.at(phases))
        whole_16 = canvas.synthesis(ws, stop_res=16)
        const = stitched(parts, grid, lambda G: G.synthesis(ws))
        looping = stitched(
            parts, grid, lambda G: G.synthesis(ws, noise=loops[_position(parts, G)].at(phases))
        )
        partial = stitched(parts, grid, lambda G: G.synthesis(ws, stop_res=16))
    assert const.shape == whole.shape == (2, 3, 64, 112)
    assert (const - whole).abs().max() <= SEAM_TOLERANCE
    assert (looping - whole_looping).abs().max() <= SEAM_TOLERANCE  # the canvas's own noise fields
    assert (partial - whole_16).abs().max() <= SEAM_TOLERANCE  # a render stopping early, too
    assert (whole_looping - whole).abs().max() > 0.01  # the loop's noise is not the constant's


def _position(parts: dict, G) -> tuple[int, int]:
    return next(position for position, part in parts.items() if part is G)


def test_a_tile_computes_little_more_than_itself_at_the_top(canvas):
    layout = layout_for(canvas, parse_tile("1,0", "2,1"))
    top, left, height, width = layout.computed_at(64)
    assert layout.visible_at(64) == (0, 56, 64, 56)
    assert (top, height) == (0, 64) and left == 55 and width == 57  # 1 px for conv1's padding
    assert canvas_pixels(tiled(canvas, parse_tile("1,0", "2,1"))) == (56, 64)
    # Coarse layers are cheap and reach far: there the window is most of the canvas.
    assert layout.computed_at(4)[3] >= 6


def test_overlapping_tiles_show_their_neighbours_edge(canvas):
    torch.manual_seed(1)
    ws = canvas.mapping(torch.randn(1, canvas.z_dim))
    left, right = (tiled(canvas, parse_tile(f"{col},0", "2,1", overlap=8)) for col in (0, 1))
    with torch.inference_mode():
        whole, a, b = canvas.synthesis(ws), left.synthesis(ws), right.synthesis(ws)
    assert a.shape[3] == b.shape[3] == 56 + 8
    assert (a - whole[..., :64]).abs().max() <= SEAM_TOLERANCE
    assert (b - whole[..., 48:]).abs().max() <= SEAM_TOLERANCE


@pytest.mark.parametrize(
    ("tile", "tiles", "overlap", "message"),
    [
        ("2,0", "2,1", 0, "columns count 0 to 1"),
        ("0", "2,1", 0, "two whole numbers"),
        ("0,0", "0,1", 0, "at least one column"),
        ("0,0", "2,1", -4, "0 or more"),
    ],
)
def test_bad_tile_flags_are_one_line(tile, tiles, overlap, message):
    with pytest.raises(UserError, match=message):
        parse_tile(tile, tiles, overlap)


def test_more_tiles_than_pixels_is_refused(canvas):
    with pytest.raises(UserError, match="more tiles than"):
        layout_for(canvas, parse_tile("0,0", "200,1"))


@pytest.mark.parametrize("command", ["generate", "render", "play"])
def test_each_command_says_what_is_wrong_with_its_tile_flags_in_one_line(command, capsys):
    flags = {"generate": ["default"], "render": [str(DEFAULT_SHOW)], "play": [str(DEFAULT_SHOW)]}
    code = main([command, *flags[command], "--tile", "2,0", "--tiles", "2,1"])
    assert code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == ["error: --tile '2,0': columns count 0 to 1 and rows 0 to 0 (from the top left)"]
