"""Turning generator output into pictures: uint8 pixels, seeds, contact sheets, PNG files."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch

from installation.errors import UserError


def to_uint8(img: torch.Tensor) -> np.ndarray:
    """[N, C, H, W] in about [-1, 1] -> [N, H, W, C] uint8, the mapping NVIDIA's scripts use."""
    pixels = (img.detach().to(torch.float32) * 127.5 + 128).clamp_(0, 255).to(torch.uint8)
    return pixels.permute(0, 2, 3, 1).cpu().numpy()


def seed_latents(seeds: list[int], z_dim: int) -> torch.Tensor:
    """z for each seed as NVIDIA's scripts draw it, so a seed names the same picture everywhere."""
    return torch.from_numpy(np.stack([np.random.RandomState(s).randn(z_dim) for s in seeds]))


def parse_seeds(text: str) -> list[int]:
    """'0-3,7,10-11' -> [0, 1, 2, 3, 7, 10, 11]."""
    seeds: list[int] = []
    try:
        for part in text.split(","):
            if "-" in part.strip()[1:]:
                lo, hi = part.rsplit("-", 1)
                seeds.extend(range(int(lo), int(hi) + 1))
            else:
                seeds.append(int(part))
    except ValueError:
        raise UserError(f"bad seed list {text!r}: use e.g. 0-3,7") from None
    if not seeds or any(s < 0 or s >= 2**32 for s in seeds):
        raise UserError(f"bad seed list {text!r}: seeds are integers from 0 to 2**32-1")
    return seeds


def contact_sheet(images: np.ndarray, columns: int | None = None) -> np.ndarray:
    """Tile [N, H, W, C] uint8 images into one near-square sheet (unused cells black)."""
    n, h, w, c = images.shape
    cols = columns or math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    sheet = np.zeros((rows * h, cols * w, c), dtype=np.uint8)
    for i, image in enumerate(images):
        r, k = divmod(i, cols)
        sheet[r * h : (r + 1) * h, k * w : (k + 1) * w] = image
    return sheet


def write_png(path: str | Path, image: np.ndarray) -> None:
    """Write an [H, W, C] uint8 RGB (or gray) image; a failure is a user error, not a traceback."""
    import cv2

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    bgr = image[:, :, ::-1] if image.ndim == 3 and image.shape[2] == 3 else image
    if not cv2.imwrite(str(path), np.ascontiguousarray(bgr)):
        raise UserError(f"could not write {path}")
