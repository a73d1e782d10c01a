"""Every backend against torch eager on a tiny generator, and how they fall back and cache.

The module shares one cache folder, so the one AOTInductor compile (10-25 s) and the ONNX
exports are paid once; `auto` then calibrates from those builds.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import time

import numpy as np
import pytest
import torch

from installation.backends import TorchEagerBackend, create_backend, onnxrt
from installation.backends.auto import CHOICES_FILE
from installation.backends.cache import weights_hash
from installation.backends.graph_backend import GraphBackend, Shape
from installation.errors import UserError
from installation.model import Generator
from installation.model.canvas import with_canvas
from installation.model.config import checked_filter
from installation.motion.noise import NoiseLoop
from tests.model.helpers import tiny_generator

RES = 16
TOLERANCE = 1e-4  # max |diff| / std of the eager image: the fp32 tolerance of installation.bench.generator


@pytest.fixture(scope="module")
def G():
    return tiny_generator(resolution=RES)


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("backend-cache")


def latents(G, batch: int) -> torch.Tensor:
    with torch.no_grad():
        return G.mapping(torch.randn(batch, G.z_dim, generator=torch.Generator().manual_seed(batch)))


def assert_matches_eager(G, backend, ws, **kw) -> None:
    want = TorchEagerBackend(G, "cpu", "fp32").render(ws, **kw)
    got = backend.render(ws, **kw)
    assert got.shape == want.shape and got.dtype == torch.float32
    rel = float((got - want).abs().max() / want.std())
    assert rel < TOLERANCE, (backend.name, kw, rel)


def test_compiled_backend_matches_eager(G, cache_dir):
    backend = create_backend(G, "cpu", "fp32", "torch-compiled", cache_dir=cache_dir, background=False)
    assert backend.name == "torch-compiled"
    ws = latents(G, 1)
    for kw in ({}, {"noise_gain": 0.5}, {"noise_gain": torch.tensor([2.0])}, {"noise_mode": "none"}):
        assert_matches_eager(G, backend, ws, **kw)


def test_onnxruntime_backend_matches_eager_per_batch_and_stop_res(G, cache_dir):
    backend = create_backend(G, "cpu", "fp32", "onnxruntime-cpu", cache_dir=cache_dir, background=False)
    assert backend.name == "onnxruntime-cpu"
    assert_matches_eager(G, backend, latents(G, 1))
    ws = latents(G, 2)
    assert_matches_eager(G, backend, ws, noise_gain=torch.tensor([0.0, 1.5]))
    assert_matches_eager(G, backend, ws, stop_res=8, noise_mode="none")


def noise_fields(G, batch: int, stop_res: int) -> dict[str, torch.Tensor]:
    """A field for every noisy layer up to `stop_res`, as the engine's animated noise gives them."""
    generator = torch.Generator().manual_seed(7)
    return {
        name: torch.randn(batch, 1, *layer.size, generator=generator)
        for name, layer in G.synthesis.named_modules()
        if getattr(layer, "use_noise", False) and layer.size[0] <= stop_res
    }


def test_onnxruntime_backend_takes_noise_fields(G, cache_dir):
    backend = create_backend(G, "cpu", "fp32", "onnxruntime-cpu", cache_dir=cache_dir, background=False)
    ws = latents(G, 2)
    fields = noise_fields(G, 2, 8)
    assert_matches_eager(G, backend, ws, stop_res=8, noise=fields, noise_gain=torch.tensor([0.5, 3.0]))
    assert_matches_eager(G, backend, ws, stop_res=8, noise=fields, noise_mode="none")
    del fields["b8.conv1"]  # an incomplete set renders eagerly, with what there is
    assert_matches_eager(G, backend, ws, stop_res=8, noise=fields)


@pytest.mark.parametrize("name", ["onnxruntime-cpu", "torch-compiled"])
def test_a_canvas_model_gets_graphs_of_its_own_shape(G, cache_dir, name):
    wide = with_canvas(G, "16:9", "mirror")
    before = set(cache_dir.iterdir())
    backend = create_backend(wide, "cpu", "fp32", name, cache_dir=cache_dir, background=False)
    ws = latents(G, 2)
    assert_matches_eager(wide, backend, ws)
    assert backend.render(ws).shape == (2, 3, RES, RES * 7 // 4)
    assert set(cache_dir.iterdir()) - before  # not the square model's graph file
    if name == "onnxruntime-cpu":
        fields = NoiseLoop.for_generator(wide).at(np.array([0.2, 0.7]))
        assert_matches_eager(wide, backend, ws, noise=fields, noise_gain=torch.tensor([0.5, 2.0]))


def test_random_noise_renders_eagerly_without_a_build(G, cache_dir, monkeypatch):
    backend = create_backend(G, "cpu", "fp32", "onnxruntime-cpu", cache_dir=cache_dir, background=False)
    monkeypatch.setattr(
        type(backend), "_build", lambda *a: pytest.fail("random noise must not build a graph")
    )
    img = backend.render(latents(G, 1), noise_mode="random", stop_res=4)
    assert img.shape == (1, 3, 4, 4) and bool(torch.isfinite(img).all())


def test_background_build_renders_eagerly_until_ready(G, cache_dir):
    backend = create_backend(G, "cpu", "fp32", "onnxruntime-cpu", cache_dir=cache_dir, background=True)
    ws = latents(G, 1)
    first = backend.render(ws, stop_res=4)  # starts the build, renders this one eagerly
    assert torch.equal(first, TorchEagerBackend(G, "cpu", "fp32").render(ws, stop_res=4))
    assert not backend.ready(stop_res=4)  # still building: timings of it now are torch eager's
    assert backend.prepare(stop_res=4)  # waits for the worker
    assert backend.ready(stop_res=4)
    assert_matches_eager(G, backend, ws, stop_res=4)
    assert backend.ready(stop_res=5)  # no graph can stop there: torch eager is as fast as it gets


def test_a_graph_in_the_cache_loads_while_another_is_still_being_built(G, cache_dir, monkeypatch):
    """Levels whose graphs a past run built load in a second; they must not wait minutes behind
    the build of a shape the cache lacks (the engine would plan on torch eager's costs meanwhile)."""
    import threading

    backend = create_backend(G, "cpu", "fp32", "onnxruntime-cpu", cache_dir=cache_dir, background=True)
    assert backend.prepare(stop_res=8)  # in the cache from here on (maybe built by a test before)
    backend = create_backend(G, "cpu", "fp32", "onnxruntime-cpu", cache_dir=cache_dir, background=True)
    build = type(backend)._build
    building, release, load = threading.Event(), threading.Event(), threading.Event()

    def held_build(self, shape):
        if self._graph_path(shape).exists():
            load.wait(30)  # a load: held until the test has seen it as one
            return build(self, shape)
        building.set()  # a real build: held until the test ends, then given up
        release.wait(30)
        raise RuntimeError("the test gave this build up")

    monkeypatch.setattr(type(backend), "_build", held_build)
    try:
        assert not backend.ready(stop_res=16, batch=3)  # no test builds this shape: its build starts first
        assert building.wait(10)
        assert not backend.loading(stop_res=16, batch=3)  # a build, which the probe does not wait for
        assert not backend.ready(stop_res=8)  # in the cache: asked for second
        assert backend.loading(stop_res=8)  # ... and loading, which it does
        load.set()
        deadline = time.monotonic() + 10
        while not backend.ready(stop_res=8) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert backend.ready(stop_res=8) and not backend.ready(stop_res=16, batch=3)
        assert not backend.loading(stop_res=8)
    finally:
        load.set()
        release.set()
    assert not backend.prepare(stop_res=16, batch=3)  # given up: torch eager renders it
    assert_matches_eager(G, backend, latents(G, 1), stop_res=8)


def test_a_batch_whose_graph_is_still_building_runs_frame_by_frame_on_the_single_frame_graph(
    G, cache_dir, monkeypatch
):
    """torch eager's batch is 2-4x slower per frame than a graph on a CPU: while a batch's own
    graph builds, its frames go one by one through the single-frame graph, each with its own
    noise gain."""
    import threading

    backend = create_backend(G, "cpu", "fp32", "onnxruntime-cpu", cache_dir=cache_dir, background=True)
    assert backend.prepare(stop_res=8)
    build, release = type(backend)._build, threading.Event()

    def held_build(self, shape):
        if shape.batch == 1:
            return build(self, shape)
        release.wait(30)
        raise RuntimeError("the test gave this build up")

    monkeypatch.setattr(type(backend), "_build", held_build)
    eager_calls = []
    monkeypatch.setattr(backend.eager, "render", lambda *a, **k: eager_calls.append(a) or 1 / 0)
    try:
        ws, gains = latents(G, 2), torch.tensor([0.0, 1.5])
        got = backend.render(ws, stop_res=8, noise_gain=gains)
        assert not backend.ready(stop_res=8, batch=2)  # its build was asked for, and is held
    finally:
        release.set()
    want = TorchEagerBackend(G, "cpu", "fp32").render(ws, stop_res=8, noise_gain=gains)
    assert got.shape == want.shape and not eager_calls
    assert float((got - want).abs().max() / want.std()) < TOLERANCE


def test_least_recently_used_graphs_are_unloaded_and_reloaded(G, cache_dir, monkeypatch):
    from installation.backends import graph_backend

    backend = create_backend(G, "cpu", "fp32", "onnxruntime-cpu", cache_dir=cache_dir, background=False)
    builds = []
    build = type(backend)._build
    monkeypatch.setattr(
        type(backend), "_build", lambda self, shape: builds.append(shape) or build(self, shape)
    )
    monkeypatch.setattr(graph_backend, "MAX_LOADED_GRAPHS", 1)
    ws = latents(G, 1)
    for stop_res in (4, 8, 4):
        assert_matches_eager(G, backend, ws, stop_res=stop_res)
    assert builds == [Shape(4, 1), Shape(8, 1), Shape(4, 1)]  # the last one from the disk cache


def test_auto_calibrates_once_and_reads_the_cache_after(G, cache_dir, monkeypatch):
    chosen = create_backend(G, "cpu", "fp32", cache_dir=cache_dir)
    assert chosen.render(latents(G, 1)).shape == (1, 3, RES, RES)  # at once: torch eager while calibrating
    assert chosen.prepare()  # waits for the calibration
    choices = json.loads((cache_dir / CHOICES_FILE).read_text())
    (entry,) = choices.values()
    assert entry["backend"] == chosen.name and set(entry["ms"]) >= {"torch", chosen.name}
    assert_matches_eager(G, chosen, latents(G, 1))

    def no_calibration(*args, **kwargs):
        pytest.fail("a second load must read the cached choice, not calibrate")

    monkeypatch.setattr(GraphBackend, "prepare", no_calibration)
    monkeypatch.setattr(TorchEagerBackend, "prepare", no_calibration)
    assert create_backend(G, "cpu", "fp32", cache_dir=cache_dir).name == chosen.name


def test_a_cache_from_another_machine_is_measured_again_once_and_replaced(G, tmp_path, monkeypatch):
    from installation.backends import cache
    from installation.backends.auto import _read

    monkeypatch.setattr(cache, "machine_tag", lambda device: "aaaaaaaa")  # made over there ...
    there = cache.ModelCache(G, "cpu", tmp_path)
    build = there.path("synthesis-16px-b1-fp32", ".pt2")
    build.write_bytes(b"a graph compiled for another CPU")
    (tmp_path / CHOICES_FILE).write_text(
        json.dumps({there.key(kind="auto"): {"backend": "torch", "machine": "aaaaaaaa"}})
    )
    monkeypatch.setattr(cache, "machine_tag", lambda device: "0badcafe")  # ... and opened here
    monkeypatch.setattr("installation.backends.available_backends", lambda device, precision: ["torch"] * 2)
    calibrations = []
    monkeypatch.setattr(TorchEagerBackend, "prepare", lambda self, *a: calibrations.append(1) or True)
    create_backend(G, "cpu", "fp32", cache_dir=tmp_path).prepare()
    assert not build.exists() and calibrations  # the other machine's build is gone, and it measured
    (entry,) = _read(tmp_path / CHOICES_FILE).values()  # its choice replaced
    assert entry["machine"] == "0badcafe"
    here = cache.ModelCache(G, "cpu", tmp_path)
    ours, old, dying = (here.path(f"synthesis-{n}", ".pt2") for n in ("ours", "old", "dying"))
    dying = dying.with_name(f"{dying.stem}.partial.pt2")
    for path in (ours, old, dying):
        path.write_bytes(b"a graph")
    os.utime(old, (1.0, 1.0))  # unused since 1970
    os.utime(dying, (1.0, 1.0))  # half-written by a process long gone
    cache.ModelCache(G, "cpu", tmp_path)
    assert ours.exists() and not old.exists() and not dying.exists()
    calibrations.clear()
    create_backend(G, "cpu", "fp32", cache_dir=tmp_path)
    assert not calibrations  # measured once: the new choice is trusted here


def test_a_build_made_by_other_graph_code_is_not_reused(G, tmp_path, monkeypatch):
    from installation.backends import cache

    before = cache.ModelCache(G, "cpu", tmp_path).path("synthesis-16px-b1-fp32", ".pt2")
    assert cache.code_digest() == cache.code_digest.__wrapped__()  # the sources, read once
    monkeypatch.setattr(cache, "code_digest", lambda: "0" * 16)  # an older version of the model code
    after = cache.ModelCache(G, "cpu", tmp_path).path("synthesis-16px-b1-fp32", ".pt2")
    assert after != before and after.parent == before.parent


def test_the_user_cache_is_pruned_to_its_bound_by_last_use(tmp_path):
    from installation.backends.cache import prune

    root = tmp_path / "models"
    files = []
    for i, model in enumerate(["a", "b", "c", "d"]):
        path = root / model / f"synthesis-{i}.pt2"
        path.parent.mkdir(parents=True)
        path.write_bytes(b"x" * 1000)
        os.utime(path, (1000 + i, 1000 + i))  # a used longest ago, d last
        files.append(path)
    keep = root / "a"  # the model being opened
    removed = prune(root, max_bytes=2500, keep=keep)
    assert removed == [files[1], files[2]]  # b and c, the oldest but the one kept
    assert files[0].exists() and files[3].exists() and not (root / "b").exists()
    assert prune(root, max_bytes=2500, keep=keep) == []


def test_missing_provider_falls_back_to_torch_with_a_log_line(G, cache_dir, caplog):
    if "tensorrt" in onnxrt.installed_providers():
        pytest.skip("TensorRT is installed here")
    with caplog.at_level(logging.WARNING, logger="installation.backends"):
        backend = create_backend(G, "cpu", "fp32", "onnxruntime-tensorrt", cache_dir=cache_dir)
    assert isinstance(backend, TorchEagerBackend)
    (record,) = caplog.records
    assert "TensorrtExecutionProvider" in record.getMessage()
    assert_matches_eager(G, backend, latents(G, 1))


def test_unsupported_precision_falls_back_to_torch(G, cache_dir, caplog):
    with caplog.at_level(logging.WARNING, logger="installation.backends"):
        backend = create_backend(G, "cpu", "bf16", "onnxruntime-cpu", cache_dir=cache_dir)
    assert isinstance(backend, TorchEagerBackend) and backend.precision == "bf16"
    assert "bf16" in caplog.text


def test_failed_export_falls_back_to_eager_once(G, tmp_path, monkeypatch, caplog):
    def broken_exporter(*args, **kwargs):
        raise RuntimeError("exporter unavailable")

    monkeypatch.setattr(onnxrt, "shape_program", broken_exporter)
    backend = create_backend(G, "cpu", "fp32", "onnxruntime-cpu", cache_dir=tmp_path, background=False)
    ws = latents(G, 1)
    with caplog.at_level(logging.WARNING, logger="installation.backends"):
        for _ in range(2):
            assert_matches_eager(G, backend, ws)
    assert not backend.prepare()
    (record,) = caplog.records
    assert "exporter unavailable" in record.getMessage()


def test_unknown_backend_name_is_a_user_error(G):
    with pytest.raises(UserError, match="unknown backend"):
        create_backend(G, "cpu", "fp32", "tensorflow")


def test_cache_key_changes_with_options_outside_the_state_dict():
    G = tiny_generator(resolution=16)
    same = Generator.from_state_dict(G.config, G.state_dict())
    for changed in (
        dataclasses.replace(G.config, conv_clamp=64.0),
        dataclasses.replace(G.config, resample_filter=checked_filter([0.5, 0.5])),
    ):
        other = Generator.from_state_dict(changed, G.state_dict())  # same tensors, other render
        assert weights_hash(other) != weights_hash(G)
    assert weights_hash(same) == weights_hash(G)
