"""The engine's render path against direct generator calls: conversion, batching, precision."""

import numpy as np
import pytest
import torch

from installation.backends import TorchEagerBackend
from installation.engine.convert import FrameConverter
from installation.model.imaging import to_uint8
from tests.engine.live_helpers import SlerpSource
from tests.model.helpers import tiny_generator

BF16_TOLERANCE = 0.15  # max |mixed - fp32| / std(fp32), as the bench's accuracy table allows


@pytest.fixture(scope="module")
def G():
    return tiny_generator(resolution=64)


def test_conversion_into_reused_buffers_matches_to_uint8(G):
    source = SlerpSource(G)
    images = TorchEagerBackend(G, "cpu", "fp32").render(source.latents([0.3, 1.1]).ws) * 1.7  # some clipping
    buffers = [torch.empty((64, 64, 3), dtype=torch.uint8) for _ in range(2)]
    converter = FrameConverter("cpu")
    converter.convert(images, buffers)
    converter.convert(images, buffers)  # again, into the same work buffers
    np.testing.assert_array_equal(np.stack([b.numpy() for b in buffers]), to_uint8(images))


def test_a_gray_model_fills_all_three_channels():
    images = torch.linspace(-1, 1, 16).reshape(1, 1, 4, 4)
    buffer = torch.empty((4, 4, 3), dtype=torch.uint8)
    FrameConverter("cpu").convert(images, [buffer])
    np.testing.assert_array_equal(buffer.numpy(), np.repeat(to_uint8(images), 3, axis=-1)[0])


@pytest.mark.parametrize("stop_res", [None, 32])
def test_a_batch_renders_what_the_frames_render_one_by_one(G, stop_res):
    backend = TorchEagerBackend(G, "cpu", "fp32")
    latents = SlerpSource(G).latents([0.0, 0.7, 1.4, 2.1, 2.8])
    gain = torch.tensor([1.0, 0.5, 0.0, 2.0, 1.0])
    batched = backend.render(latents.ws, stop_res=stop_res, noise_gain=gain)
    single = torch.cat(
        [
            backend.render(latents.ws[i : i + 1], stop_res=stop_res, noise_gain=gain[i : i + 1])
            for i in range(5)
        ]
    )
    assert (batched - single).abs().max() <= 1e-4


def test_mixed_precision_on_the_cpu_stays_close_to_fp32(G):
    ws = SlerpSource(G).latents([0.0, 1.3]).ws
    reference = TorchEagerBackend(G, "cpu", "fp32").render(ws)
    mixed = TorchEagerBackend(G, "cpu", "mixed").render(ws)
    assert torch.isfinite(mixed).all()
    assert (mixed - reference).abs().max() / reference.std() <= BF16_TOLERANCE
