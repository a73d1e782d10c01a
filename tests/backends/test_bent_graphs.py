"""Bends inside the graph backends: the amounts and arguments are a graph input, so new knob
values match torch eager without building again; a bend graph that cannot be built leaves
its shape on torch eager, said once."""

from __future__ import annotations

import logging

import pytest
import torch

from installation.backends import TorchEagerBackend, create_backend, onnxrt
from installation.engine.latents import Latents, render_latents
from installation.model.bends import BendPlan
from installation.show.bend_sections import BendSettings, bend_parameters
from tests.backends.conftest import counted_builds
from tests.model.helpers import tiny_generator

TOLERANCE = 1e-4  # max |diff| / std of the eager image, fp32
BENDS = (
    BendSettings(name="turn", layer=4, transform="rotate", channels="0-15"),
    BendSettings(name="grow", layer=4, transform="dilate", channels="fraction", fraction=0.5),
    BendSettings(name="fuzz", layer=4, transform="noise"),
)
# All at the 4 px layer (the smallest graph: a quick compile), applied in file order.
# (turn, turn_angle, grow, fuzz, fuzz_factor): each bend on and off, arguments moving
KNOBS = ((0.3, 20.0, 0.0, 0.0, 2.0), (1.0, -75.0, 0.5, 0.2, 2.0), (0.0, 0.0, 0.0, 0.7, -4.0))


@pytest.fixture(scope="module")
def G():
    return tiny_generator(resolution=16)


def bendings(plan: BendPlan):
    defaults = {p.name: p.default for p in bend_parameters(BENDS)}
    for turn, angle, grow, fuzz, factor in KNOBS:
        values = dict(defaults, turn=turn, turn_angle=angle, grow=grow, fuzz=fuzz, fuzz_factor=factor)
        yield plan.hook(values)


@pytest.mark.parametrize("name", ["onnxruntime-cpu", "torch-compiled"])
def test_graph_backends_bend_inside_the_graph_without_rebuilding(G, tmp_path, monkeypatch, name):
    backend = create_backend(G, "cpu", "fp32", name, cache_dir=tmp_path, background=False)
    builds = counted_builds(monkeypatch, backend)
    eager = TorchEagerBackend(G, "cpu", "fp32")
    ws = G.mapping(torch.randn(2, G.z_dim, generator=torch.Generator().manual_seed(1)))
    plain = eager.render(ws, stop_res=4)
    for bending in bendings(BendPlan(BENDS, G)):
        got = render_latents(backend, Latents(ws, bend=bending), 4)
        want = eager.render(ws, stop_res=4, bend=bending)
        assert float((got - want).abs().max() / want.std()) < TOLERANCE
        assert float((got - plain).abs().max() / plain.std()) > 10 * TOLERANCE  # really bent
    (shape,) = builds  # one graph for every knob value
    assert len(shape.bends) == 3 and shape.stop_res == 4


def test_a_bend_graph_that_cannot_be_built_bends_in_torch_eager_said_once(G, tmp_path, monkeypatch, caplog):
    def broken_exporter(*args, **kwargs):
        raise RuntimeError("grid_sample is not exportable here")

    monkeypatch.setattr(onnxrt, "shape_program", broken_exporter)
    backend = create_backend(G, "cpu", "fp32", "onnxruntime-cpu", cache_dir=tmp_path, background=False)
    eager = TorchEagerBackend(G, "cpu", "fp32")
    ws = G.mapping(torch.randn(1, G.z_dim))
    with caplog.at_level(logging.WARNING, logger="installation.backends"):
        for bending in bendings(BendPlan(BENDS, G)):
            got = render_latents(backend, Latents(ws, bend=bending), None)
            assert torch.equal(got, eager.render(ws, bend=bending))
    (record,) = caplog.records
    assert "with 3 bends" in record.getMessage() and "torch eager renders it" in record.getMessage()
