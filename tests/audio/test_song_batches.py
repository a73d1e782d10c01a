"""A music video's batches: frames analysed one by one, rendered together."""

from __future__ import annotations

import torch

from installation.audio.song_source import stack
from installation.engine.latents import Latents
from installation.model.layer_view import LayerView


def test_a_batch_keeps_each_frames_transform_and_the_first_frames_bends_and_view() -> None:
    view = LayerView("b16.conv1", "tiled", 0, 4)
    bend = object()  # the first frame's bending, whatever it is, goes to the batch
    frames = [
        Latents(
            torch.full((1, 4, 8), float(k)),
            transform=torch.eye(3)[None] * (k + 1),
            bend=bend if k == 0 else object(),
            view=view if k == 0 else None,
        )
        for k in range(3)
    ]
    batch = stack(frames)
    assert batch.ws.shape == (3, 4, 8) and torch.equal(batch.ws[2], frames[2].ws[0])
    assert batch.transform.shape == (3, 3, 3) and torch.equal(batch.transform[1], torch.eye(3) * 2)
    assert batch.bend is bend and batch.view is view and batch.mix is None
