"""A StyleGAN3 canvas: the Fourier input sampled on a wider grid, every layer grown with it."""

import cv2
import numpy as np
import pytest
import torch

from installation.cli import main
from installation.model.canvas import canvas_pixels, describe_canvas, with_canvas
from installation.model.loading import load_model
from installation.model.stylegan3 import input_transform_for
from installation.model.stylegan3_canvas import field_cells, with_field_canvas

FIXTURES = {"T": "nv_sg3t_32", "R": "nv_sg3r_32"}


def model_and_ws(shared_fixtures, variant: str):
    name = FIXTURES[variant]
    G = load_model(str(shared_fixtures / f"{name}_redacted.pkl"))
    ws = torch.from_numpy(np.load(shared_fixtures / f"{name}.ref.npz")["ws_psi0.7"][:1])
    return G, ws


def render(G, ws, rotate=0.0, translate=(0.0, 0.0)) -> np.ndarray:
    with torch.no_grad():
        return G.synthesis(ws, **input_transform_for(G, rotate, translate)).numpy()


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def test_the_model_s_own_shape_renders_bit_for_bit(shared_fixtures):
    G, ws = model_and_ws(shared_fixtures, "T")
    assert with_canvas(G, "1:1") is G and with_canvas(G, "32x32") is G
    assert field_cells(G.config) == (16, 16)
    same = with_field_canvas(G, "1:1", 16, 16)  # the canvas code path, nothing added
    assert same is not G and same.config.input.origin == (18.0, 18.0)
    assert np.array_equal(render(same, ws, 20.0, (0.1, 0.0)), render(G, ws, 20.0, (0.1, 0.0)))


@pytest.mark.parametrize("variant", ["T", "R"])
def test_a_2_to_1_canvas_continues_the_picture_on_both_sides(shared_fixtures, variant):
    """The middle of a 64x32 canvas is the 32x32 picture (rotated and shifted alike), up to
    the model's own border effects, which its margin keeps off the centre."""
    G, ws = model_and_ws(shared_fixtures, variant)
    wide = with_canvas(G, "2:1")
    assert canvas_pixels(wide) == (64, 32) and describe_canvas(wide).startswith("64x32 px (16x32 cells")
    for pose in ((0.0, (0.0, 0.0)), (30.0, (0.2, -0.1))):
        square, canvas = render(G, ws, *pose), render(wide, ws, *pose)
        assert canvas.shape == (1, 3, 32, 64)
        middle = canvas[..., 16:48]
        assert correlation(middle, square) > 0.999, pose
        assert np.abs(middle - square)[..., 8:24, 8:24].max() < 0.01, pose
        sides = np.concatenate([canvas[..., :16], canvas[..., 48:]], axis=-1)
        assert sides.std() > 0.5 * square.std()  # the new columns are painted, not blank


def test_an_odd_number_of_new_cells_and_a_tall_canvas_keep_the_picture_in_place(shared_fixtures):
    G, ws = model_and_ws(shared_fixtures, "T")
    square = render(G, ws)
    four_three = render(with_canvas(G, "4:3"), ws)  # 16x21 cells: 2 more on the left, 3 on the right
    assert four_three.shape == (1, 3, 32, 42)
    assert correlation(four_three[..., 4:36], square) > 0.999
    tall = render(with_canvas(G, "1:2"), ws)
    assert tall.shape == (1, 3, 64, 32)
    assert correlation(tall[..., 16:48, :], square) > 0.999


def test_run_py_check_generate_and_render_paint_a_stylegan3_canvas(shared_fixtures, tmp_path, capsys):
    model = shared_fixtures / "nv_sg3t_32_redacted.pkl"
    show = tmp_path / "wide.toml"
    show.write_text(f'[model]\npath = "{model}"\n[render]\ncanvas = "2:1"\n[motion]\nkeyframes = [0]\n')
    assert main(["check", str(show)]) == 0
    assert "canvas:     2:1: 64x32 px (16x32 cells, model 16x16)" in capsys.readouterr().out
    out = tmp_path / "pictures"
    assert main(["generate", str(model), "--seeds", "3", "--canvas", "2:1", "--outdir", str(out)]) == 0
    assert "canvas 2:1: 64x32 px (16x32 cells, Fourier field" in capsys.readouterr().out
    assert cv2.imread(str(out / "seed0003.png")).shape == (32, 64, 3)
    frames = tmp_path / "frames"
    render_args = ["render", str(show), "--seconds", "1", "--fps", "1", "--frames", str(frames)]
    assert main([*render_args, "--precision", "fp32", "--backend", "torch"]) == 0  # no graph builds
    assert cv2.imread(str(frames / "frame_000000.png")).shape == (32, 64, 3)
    show.write_text(show.read_text().replace('"2:1"', '"100:1"'))
    assert main(["check", str(show)]) == 2
    assert "render.canvas: canvas '100:1' needs 16x1600 cells" in capsys.readouterr().err
