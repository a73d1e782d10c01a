"""torch compiled: the exported synthesis graph compiled by Inductor ahead of time (AOTInductor).

Same code generator as `torch.compile` (fused elementwise loops, packed convolutions), but the
result is a package on disk: compiled once (15-60 s), loaded in well under a second after that,
with no guards to fail and recompile mid-show, and safe to build in a background thread.
"""

from __future__ import annotations

import logging
from pathlib import Path

import torch

from installation.backends.aoti_cpu import CpuPackageRunner
from installation.backends.build import first_line
from installation.backends.graph_backend import GraphBackend, Runner, Shape, shape_program

log = logging.getLogger(__name__)


def unavailable_reason(device: torch.device) -> str | None:
    """Why this machine cannot compile, or None when it can."""
    from torch._inductor import cpp_builder

    try:
        cpp_builder.get_cpp_compiler()
    except Exception:  # noqa: BLE001 - Inductor's own search (g++ by default, $CXX) found nothing that runs
        return "Inductor finds no C++ compiler (install g++)"
    if device.type == "cuda":
        try:
            import triton  # noqa: F401
        except ImportError:
            return "Inductor needs triton for CUDA, which is not installed"
    return None


class CompiledBackend(GraphBackend):
    name = "torch-compiled"
    suffix = ".pt2"

    @staticmethod
    def write_graph(G, shape: Shape, precision: str, device: str, path: Path) -> None:
        program = shape_program(G, shape, precision, device)
        torch._inductor.aoti_compile_and_package(program, package_path=str(path))

    def _load(self, shape: Shape, path: Path) -> Runner:
        if self.device.type == "cpu":
            try:
                return CpuPackageRunner(path)
            except (OSError, RuntimeError, AttributeError) as error:  # a library or symbol not found
                log.warning(
                    "%s: %s runs holding the interpreter lock (%s)", self.name, shape, first_line(error)
                )
        return torch._inductor.aoti_load_package(str(path))
