"""The compiled package's CPU runner: torch's loader's results, without holding the interpreter
lock while the model runs, and one copy of a model's library however often it is loaded."""

from __future__ import annotations

import gc
import threading
import time
from pathlib import Path

import pytest
import torch

from installation.backends import aoti_cpu, compiled
from installation.backends.aoti_cpu import CpuPackageRunner

pytestmark = pytest.mark.skipif(
    compiled.unavailable_reason(torch.device("cpu")) is not None, reason="Inductor cannot compile here"
)


class Chain(torch.nn.Module):
    """Long enough to run for a while on one thread, with two inputs and a broadcast."""

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        for _ in range(60):
            x = torch.tanh(x @ x)
        return x + y


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    x, y = torch.randn(512, 512) / 30, torch.randn(512)
    path = tmp_path_factory.mktemp("aoti") / "chain.pt2"
    torch._inductor.aoti_compile_and_package(torch.export.export(Chain(), (x, y)), package_path=str(path))
    return path


def test_the_runner_gives_what_torchs_loader_gives(package):
    x, y = torch.randn(512, 512) / 30, torch.randn(512)
    ours = CpuPackageRunner(package)
    assert torch.equal(ours(x, y), torch._inductor.aoti_load_package(str(package))(x, y))
    assert torch.allclose(ours(x, y), Chain()(x, y), atol=1e-5)


def test_other_threads_run_python_while_the_model_runs(package):
    """A thread appends timestamps in a loop; some must fall well inside one run of the model
    (torch's loader keeps the lock for the whole run: none would)."""
    runner, x, y = CpuPackageRunner(package), torch.randn(512, 512) / 30, torch.randn(512)
    runner(x, y)
    stamps, stop = [], threading.Event()

    def count():
        while not stop.is_set():
            stamps.append(time.perf_counter())

    counter = threading.Thread(target=count)
    counter.start()
    try:
        time.sleep(0.05)
        start = time.perf_counter()
        runner(x, y)
        end = time.perf_counter()
    finally:
        stop.set()
        counter.join()
    middle = [t for t in stamps if start + 0.25 * (end - start) < t < end - 0.25 * (end - start)]
    assert middle, (end - start, len(stamps))


def test_a_graph_loaded_again_reuses_its_library(package):
    """The dynamic loader never unloads a model library: a reload must not map a second copy."""
    x, y = torch.randn(512, 512) / 30, torch.randn(512)
    first = CpuPackageRunner(package)
    want = first(x, y)
    copies = len(list(Path(aoti_cpu._extracted.name).rglob("*.so")))
    del first
    gc.collect()
    again = CpuPackageRunner(package)
    assert torch.equal(again(x, y), want)
    assert len(list(Path(aoti_cpu._extracted.name).rglob("*.so"))) == copies
    assert again._model is CpuPackageRunner(package)._model
