"""StyleGAN3 through the graph backends: the input transform (rotate / translate) is a graph
input, so new poses feed one built graph; the build runs in the child process while torch eager
renders; auto times the graphs and keeps the fastest.

The model is the T fixture's input, first layer and ToRGB (its own weights and filters): its
graphs build in a fraction of the whole network's time, once per backend for the module.
"""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest
import torch

from installation.backends import TorchEagerBackend, available_backends, create_backend
from installation.backends.auto import CHOICES_FILE
from installation.checkpoints.build import load_generator
from installation.engine.latents import Latents, render_latents
from installation.model.stylegan3 import input_transforms
from tests.backends.conftest import counted_builds
from tests.model.helpers import first_layers_of

TOLERANCE = 1e-4  # max |diff| / std of the eager image, fp32 (as for StyleGAN2's graphs)
POSES = ((30.0, 0.1, -0.2), (-70.0, 0.0, 0.3))  # degrees, x and y shift in picture sizes


@pytest.fixture(scope="module")
def G(shared_fixtures):
    return first_layers_of(load_generator(shared_fixtures / "nv_sg3t_32_redacted.pkl"))


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("sg3-graphs")


def transform(pose) -> torch.Tensor:
    return torch.from_numpy(input_transforms(np.array([pose]))).float()


def relative_error(got: torch.Tensor, want: torch.Tensor) -> float:
    return float((got - want).abs().max() / want.std())


@pytest.mark.parametrize("name", ["torch-compiled", "onnxruntime-cpu"])
def test_one_graph_built_in_the_background_renders_every_pose(G, cache_dir, monkeypatch, name):
    backend = create_backend(G, "cpu", "fp32", name, cache_dir=cache_dir, background=True)
    assert backend.name == name
    assert backend.resolutions == [G.config.img_resolution]  # one level: the planner adapts batch and rate
    builds = counted_builds(monkeypatch, backend)
    eager = TorchEagerBackend(G, "cpu", "fp32")
    ws = G.mapping(torch.randn(1, G.z_dim, generator=torch.Generator().manual_seed(2)))
    first = transform(POSES[0])
    # While the child process builds, torch eager renders the frame.
    assert torch.equal(
        render_latents(backend, Latents(ws, transform=first), None), eager.render(ws, transform=first)
    )
    assert backend.prepare() and backend.ready()  # prepare waits for the build
    eager_frames = []
    monkeypatch.setattr(backend.eager, "render", lambda *a, **kw: eager_frames.append(kw))
    pictures = []
    for pose in (*POSES, None):  # None: the file's own transform
        moved = None if pose is None else transform(pose)
        for mode in ("const", "random"):  # a model without noise renders both with one graph
            got = render_latents(backend, Latents(ws, noise_mode=mode, transform=moved), None)
            assert relative_error(got, eager.render(ws, transform=moved)) < TOLERANCE, (pose, mode)
        pictures.append(got)
    assert relative_error(pictures[0], pictures[1]) > 0.5  # the poses really differ
    assert not eager_frames  # every frame came from the graph
    (shape,) = builds  # one build for every pose
    assert shape.stop_res == G.config.img_resolution
    (built,) = [p for p in cache_dir.glob(f"synthesis-*{backend.suffix}") if "-transform-" in p.name]
    assert built.name.startswith(f"synthesis-{shape.stop_res}px-b1-fp32-transform-")
    if name == "torch-compiled":
        # Built in the child, which compiles with one thread: its loops still run in parallel,
        # on as many threads as the thread that renders them has (none fixed in the code).
        pragmas = parallel_pragmas(built)
        assert pragmas and not [p for p in pragmas if "num_threads" in p], pragmas


def parallel_pragmas(package) -> list[str]:
    """The OpenMP parallel regions of an AOTInductor package's generated kernels."""
    with zipfile.ZipFile(package) as archive:
        sources = [archive.read(n).decode() for n in archive.namelist() if n.endswith(".kernel.cpp")]
    return [line.strip() for text in sources for line in text.splitlines() if "#pragma omp parallel" in line]


def test_auto_times_the_stylegan3_graphs_and_keeps_the_fastest(G, cache_dir):
    # The graphs built above load from the module's cache, so this only times them.
    backend = create_backend(G, "cpu", "fp32", "auto", cache_dir=cache_dir, background=False)
    (choice,) = json.loads((cache_dir / CHOICES_FILE).read_text()).values()
    assert set(choice["ms"]) == set(available_backends("cpu", "fp32"))
    assert len(choice["ms"]) > 1 and backend.name == choice["backend"]
    ws = G.mapping(torch.randn(1, G.z_dim, generator=torch.Generator().manual_seed(3)))
    moved = transform(POSES[1])
    got = render_latents(backend, Latents(ws, transform=moved), None)
    assert relative_error(got, TorchEagerBackend(G, "cpu", "fp32").render(ws, transform=moved)) < TOLERANCE
