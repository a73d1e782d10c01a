"""A contact sheet of semantic directions: one row per direction, one column per amount.

It lets an artist see what each direction does and pick the ones worth putting on a knob.
"""

from __future__ import annotations

import numpy as np

from installation.model.layer_effects import layer_changes, most_changed
from installation.motion.directions import Directions
from installation.motion.latents import truncate
from installation.motion.space import LatentSpace

LABEL_WIDTH = 48
LAYERS_WIDTH = 88  # the column naming the layers a direction changes most
HEADER_HEIGHT = 24


def _label(cv2, size: tuple[int, int], text: str) -> np.ndarray:
    strip = np.zeros((*size, 3), dtype=np.uint8)
    origin = (4, size[0] // 2 + 5)
    cv2.putText(strip, text, origin, cv2.FONT_HERSHEY_SIMPLEX, 0.45, (230, 230, 230), 1, cv2.LINE_AA)
    return strip


def _layers_label(cv2, size: tuple[int, int], names: list[str]) -> np.ndarray:
    strip = np.zeros((*size, 3), dtype=np.uint8)
    for line, name in enumerate(names[: max(1, size[0] // 14)]):  # as many as fit
        origin = (4, 14 + 14 * line)
        cv2.putText(strip, name, origin, cv2.FONT_HERSHEY_SIMPLEX, 0.38, (230, 230, 230), 1, cv2.LINE_AA)
    return strip


def direction_sheet(
    G,
    space: LatentSpace,
    directions: Directions,
    layers: slice,
    amounts: np.ndarray,
    *,
    scale: float,
    base_z: np.ndarray,
    psi: float,
    cell: int,
    labels: np.ndarray | None = None,
) -> np.ndarray:
    """RGB uint8 sheet: row i shows `base_z`'s picture moved by amounts × scale sigmas of
    direction i over the ws in `layers`, each picture `cell` pixels square; the last column names
    the two layers whose activations the largest amount changes most (a bend's candidates)."""
    import cv2
    import torch

    from installation.model.imaging import to_uint8

    device = G.mapping.w_avg.device
    base = np.repeat(space.map(base_z[None], labels)[:, None], space.num_ws, axis=1)
    base = truncate(base, space.w_avg, psi, space.num_ws)
    header = [np.zeros((HEADER_HEIGHT, LABEL_WIDTH, 3), np.uint8)]
    header += [_label(cv2, (HEADER_HEIGHT, cell), f"{a:+.2g}") for a in amounts]
    header.append(_label(cv2, (HEADER_HEIGHT, LAYERS_WIDTH), "layers"))
    rows = [np.concatenate(header, axis=1)]
    for i in range(len(directions)):
        ws = np.repeat(base, len(amounts), axis=0)
        step = directions.offset(np.eye(len(directions))[i], scale)
        ws[:, layers] += amounts[:, None, None].astype(np.float32) * step
        with torch.inference_mode():
            images = to_uint8(G.synthesis(torch.from_numpy(ws).to(device), noise_mode="const"))
        if images.shape[-1] == 1:  # grey models: same layout as colour ones
            images = np.repeat(images, 3, axis=-1)
        cells = [cv2.resize(img, (cell, cell), interpolation=cv2.INTER_AREA) for img in images]
        strongest = int(np.abs(amounts).argmax())
        moved = torch.from_numpy(ws[strongest : strongest + 1]).to(device)
        changes = layer_changes(G, torch.from_numpy(base).to(device), moved)
        names = _layers_label(cv2, (cell, LAYERS_WIDTH), most_changed(changes))
        rows.append(np.concatenate([_label(cv2, (cell, LABEL_WIDTH), f"{i}"), *cells, names], axis=1))
    return np.concatenate(rows, axis=0)
