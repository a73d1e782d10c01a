"""Model morphs inside the graph backends: the graph holds A's and B's tensors of the span and
takes the amount as an input, so a crossfade builds nothing; its ends are A's and B's renders
within fp32 rounding (the mixed layers fold their weights as the graph runs), its middle is
torch eager's morph; a morph graph that cannot be built leaves the morph on torch eager."""

from __future__ import annotations

import logging
import threading

import pytest
import torch

from installation.backends import TorchEagerBackend, create_backend, onnxrt
from installation.backends.graph_backend import Shape
from installation.backends.graph_mix import mix_layout
from installation.engine.latents import Latents, render_latents
from installation.model.mixing import ModelMorph, mixed_state, parse_layers
from tests.backends.conftest import counted_builds
from tests.model.helpers import tiny_generator

TOLERANCE = 1e-5  # max |diff| / std of the eager image, fp32
STOP = 8  # two blocks: a quick build that still mixes more than one resolution
AMOUNTS = (1.0, 0.5, 0.25, 0.0)  # the first builds the graph; the other three build nothing
PRODUCTS = ("mm", "matmul", "addmm")  # ATen's matrix products, as an exported program names them


@pytest.fixture(scope="module")
def models():
    return tiny_generator(resolution=16), tiny_generator(seed=1, resolution=16)


@pytest.fixture(scope="module")
def ws(models):
    A, _ = models
    return A.mapping(torch.randn(2, A.z_dim, generator=torch.Generator().manual_seed(1)))


def _eager(G, ws) -> torch.Tensor:
    return TorchEagerBackend(G, "cpu", "fp32").render(ws, stop_res=STOP)


def _relative(got: torch.Tensor, want: torch.Tensor) -> float:
    return float((got - want).abs().max() / want.std())


@pytest.mark.parametrize(("name", "layers"), [("onnxruntime-cpu", "coarse"), ("torch-compiled", "all")])
def test_a_graph_morphs_inside_the_graph_without_rebuilding(models, ws, tmp_path, monkeypatch, name, layers):
    A, B = models
    span = parse_layers(layers)
    morph = ModelMorph(A, B, span)
    backend = create_backend(A, "cpu", "fp32", name, cache_dir=tmp_path, background=False)
    builds = counted_builds(monkeypatch, backend)
    if name.startswith("onnxruntime"):
        # Built off the main thread, as a show's loader does: in a child process, which gets
        # B's span tensors with its job.
        loader = threading.Thread(target=backend.prepare, args=(STOP, 2, (), morph))
        loader.start()
        loader.join()
    b_in_span = type(A).from_state_dict(A.config, mixed_state(A, B, 1.0, span))
    ends = {0.0: _eager(A, ws), 1.0: _eager(b_in_span, ws)}
    for amount in AMOUNTS:
        got = render_latents(backend, Latents(ws, mix=(morph, amount)), STOP)
        want = _eager(morph.at(amount), ws)
        assert _relative(got, want) < TOLERANCE
        if amount in ends:  # the ends are the two models (eager's morph is, bit for bit)
            assert torch.equal(want, ends[amount])
        else:  # and the middle is neither
            assert min(_relative(got, end) for end in ends.values()) > 100 * TOLERANCE
    (shape,) = builds  # one graph for every amount
    assert shape.mix == mix_layout(morph) and shape.stop_res == STOP


def test_a_graph_key_names_model_b_and_the_span(models, tmp_path):
    A, B = models
    backend = create_backend(A, "cpu", "fp32", "onnxruntime-cpu", cache_dir=tmp_path, background=False)
    other = tiny_generator(seed=2, resolution=16)
    paths = {
        backend._graph_path(Shape(STOP, 1, mix=mix_layout(ModelMorph(A, b, parse_layers(span)))))
        for b in (B, other)
        for span in ("all", "coarse", "middle")
    }
    assert len(paths) == 6
    # graphs without a morph keep the keys they had before morphs (users' caches stay valid)
    assert backend._graph_path(Shape(STOP, 1)) == backend.cache.path(
        f"synthesis-{STOP}px-b1-fp32", ".onnx", precision="fp32", stop_res=STOP, batch=1, noise_fields=False
    )


def test_a_morph_graph_that_cannot_be_built_morphs_in_torch_eager_said_once(
    models, ws, tmp_path, monkeypatch, caplog
):
    A, B = models
    morph = ModelMorph(A, B, parse_layers("16-16"))
    built = onnxrt.shape_program

    def no_morphs(G, shape, *args):
        if shape.mix is not None:
            raise RuntimeError("lerp is not exportable here")
        return built(G, shape, *args)

    monkeypatch.setattr(onnxrt, "shape_program", no_morphs)
    backend = create_backend(A, "cpu", "fp32", "onnxruntime-cpu", cache_dir=tmp_path, background=False)
    with caplog.at_level(logging.WARNING, logger="installation.backends"):
        for amount in (0.3, 0.6, 1.0):
            got = render_latents(backend, Latents(ws, mix=(morph, amount)), None)
            assert torch.equal(got, TorchEagerBackend(morph.at(amount), "cpu", "fp32").render(ws))
    (record,) = caplog.records
    assert "with a model morph" in record.getMessage() and "torch eager renders it" in record.getMessage()


def test_an_onnx_morph_graph_takes_the_forms_onnxruntime_runs_fastest(models, tmp_path):
    """onnxruntime runs a depthwise convolution (a blur) in its fast blocked layout only when
    every tensor but the input is a constant: a morph graph mixes the biases as it runs, so it
    adds them after the blurs. And it mixes each tensor in one pass as a matrix product."""
    import onnx
    from onnx import helper

    A, B = models
    morph = ModelMorph(A, B, parse_layers("all"))
    backend = create_backend(A, "cpu", "fp32", "onnxruntime-cpu", cache_dir=tmp_path, background=False)
    assert backend.prepare(STOP, 1, (), morph)
    graph = onnx.load(backend._graph_path(Shape(STOP, 1, mix=mix_layout(morph)))).graph
    constants = {t.name for t in graph.initializer}
    constants |= {out for node in graph.node if node.op_type == "Constant" for out in node.output}
    groups = {
        node.name: next((helper.get_attribute_value(a) for a in node.attribute if a.name == "group"), 1)
        for node in graph.node
    }
    blurs = [node for node in graph.node if node.op_type == "Conv" and groups[node.name] > 1]
    assert blurs, "the graph has no blur to check"
    assert all(set(node.input[1:]) <= constants for node in blurs), [list(n.input) for n in blurs]
    pairs = [t.name for t in graph.initializer if t.name.startswith("mix.ab")]
    readers = {name: [n.op_type for n in graph.node if name in n.input] for name in pairs}
    assert pairs and all(ops == ["MatMul"] for ops in readers.values()), readers


def test_a_compiled_morph_graph_mixes_elementwise_and_an_onnx_one_by_matrix_products(models):
    """Inductor fuses an elementwise mix into the kernel that lays a weight out for its
    convolution; onnxruntime would run it as three passes (`matmul_mixes`)."""
    from installation.backends.graph_backend import shape_program
    from installation.backends.graph_mix import matmul_mixes

    A, B = models
    shape = Shape(STOP, 1, mix=mix_layout(ModelMorph(A, B, parse_layers("all"))))

    def products_of_pairs() -> list[bool]:
        program = shape_program(A, shape, "fp32", "cpu")
        buffers = program.graph_signature.inputs_to_buffers
        pairs = [n for n in program.graph.nodes if buffers.get(n.name, "").startswith("mix.ab")]
        assert pairs
        return [any(str(user.target).split(".")[1] in PRODUCTS for user in node.users) for node in pairs]

    assert not any(products_of_pairs())
    with matmul_mixes():
        assert all(products_of_pairs())
