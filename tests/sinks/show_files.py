"""A real show on a real (tiny) checkpoint file, for tests that go through show files and run.py."""

from __future__ import annotations

from pathlib import Path

from tests.checkpoints.ckpt_writers import random_state, small_config, write_nvlabs_pickle

RESOLUTION = 32


def tiny_checkpoint(folder: Path) -> Path:
    """An NVIDIA-format pickle of a 32 px generator (it loads through installation.checkpoints)."""
    config = small_config(img_resolution=RESOLUTION, channels={4: 32, 8: 24, 16: 16, 32: 16})
    path = folder / "tiny.pkl"
    write_nvlabs_pickle(path, random_state(config, seed=3), config)
    return path


def write_show(folder: Path, *, period: float = 2.0, extra: str = "", canvas: str = "") -> Path:
    """A keyframe loop on the tiny checkpoint, `period` seconds around, noise looping, on the
    model's own square or a native `canvas`."""
    tiny_checkpoint(folder)
    path = folder / "show.toml"
    path.write_text(f"""
[model]
path = "tiny.pkl"

[render]
device = "cpu"
precision = "fp32"
{f'canvas = "{canvas}"' if canvas else ""}

[motion]
path = "keyframes"
keyframes = [1, 2, 3]
interpolation = "spline"
period_seconds = {period}
noise = "loop"
noise_cycles = 2
{extra}
""")
    return path
