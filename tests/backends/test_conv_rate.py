"""The convolution floor `bench --backends` compares every backend's frame with."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from installation.bench.conv_rate import _Tracer, convolution_floor, traced_convolutions
from tests.model.helpers import tiny_generator


def test_traced_convolutions_count_the_flops_each_one_does():
    x = torch.randn(2, 8, 10, 12).contiguous(memory_format=torch.channels_last)
    with torch.no_grad(), _Tracer() as tracer:
        F.conv2d(x, torch.randn(16, 4, 3, 3), padding=1, groups=2)
        F.conv_transpose2d(torch.randn(1, 8, 5, 5), torch.randn(8, 6, 3, 3), stride=2)
    direct, transposed = tracer.found
    assert direct.channels_last and direct.groups == 2 and not direct.transposed
    assert direct.flops == 2 * (2 * 16 * 10 * 12) * 4 * 9
    assert transposed.transposed and not transposed.channels_last
    # every input element meets every kernel tap of every output channel once
    assert transposed.flops == 2 * (8 * 5 * 5) * 6 * 9


def test_a_frame_is_traced_layer_by_layer_and_its_floor_timed():
    G = tiny_generator()
    ws = G.mapping(torch.randn(1, G.z_dim), None)
    found = traced_convolutions(G, ws, "fp32")
    # every block's convolutions and ToRGB, at the generator's own shapes
    assert len(found) >= 2 * len(G.synthesis.block_resolutions)
    assert found[-1].input_shape[-1] == G.img_resolution
    floor = convolution_floor(found, torch.device("cpu"), 2, lambda: None)
    dense = [conv for conv in found if conv.groups == 1]
    assert any(conv.groups > 1 for conv in found)  # the up-sampling FIR filters: not counted
    assert floor["count"] == len(dense)
    assert floor["ms"] > 0
    assert floor["gflop_per_frame"] * 1e9 == pytest.approx(sum(conv.flops for conv in dense))
    assert floor["gflops"] == pytest.approx(floor["gflop_per_frame"] * 1e3 / floor["ms"])
