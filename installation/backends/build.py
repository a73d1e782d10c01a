"""Building a graph in a separate process, for builds that run while a show plays.

Exporting and compiling take seconds to a minute of Python-heavy work. In a child process at
low CPU priority they leave the show its cores and this interpreter's lock, and quitting
mid-build only ends the child (a build thread still inside native code aborts an exit). The
child is a fresh interpreter (`python -m installation.backends.build JOB`), so it works from
scripts without a `__main__` guard too. It uses every core but one (at least one), for its
tracing and for Inductor's compile workers alike, so a build always leaves the show a core.
"""

from __future__ import annotations

import atexit
import importlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import torch

_running: dict[subprocess.Popen, tuple[Path, Path]] = {}  # child -> (its job folder, the file it writes)
_stopping = threading.Event()  # set at exit: a build that fails from now on was ended by us


def write_in_child(backend: type, G, shape: tuple, precision: str, device: torch.device, path: Path) -> None:
    """`backend.write_graph(G, shape, precision, device, path)` in a child process; its error
    comes back as a RuntimeError with the child's last line."""
    if _stopping.is_set():
        raise RuntimeError("the process is exiting")
    folder = Path(tempfile.mkdtemp(prefix="installation-build-"))
    try:
        job = folder / "job.pt"
        state = {name: tensor.detach().cpu() for name, tensor in G.state_dict().items()}
        torch.save(
            {
                "backend": (backend.__module__, backend.__qualname__),
                "config": G.config,
                "state": state,
                "shape": shape,
                "precision": precision,
                "device": str(device),
                "path": str(path),
            },
            job,
        )
        threads = str(build_threads())
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
            "OMP_NUM_THREADS": threads,
            "TORCHINDUCTOR_COMPILE_THREADS": threads,
            # Inductor writes its loops for the thread count it compiles with: one here on two
            # cores, which made every kernel serial (9-23 % slower frames at two threads). These
            # loops take the thread count of the thread that renders them.
            "TORCHINDUCTOR_CPP_DYNAMIC_THREADS": "1",
        }
        child = subprocess.Popen(
            [sys.executable, "-m", __name__, str(job)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        _running[child] = (folder, path)
        try:
            _, errors = child.communicate()
        finally:
            _running.pop(child, None)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if child.returncode:
        lines = [line for line in errors.splitlines() if line.strip()]
        raise RuntimeError(
            lines[-1] if lines else f"the build process ended with exit code {child.returncode}"
        )


def build_threads() -> int:
    """Threads a build may use: all cores but the one kept for rendering, at least one."""
    return max(1, (os.cpu_count() or 1) - 1)


def stopping() -> bool:
    """Whether this process is exiting (and has ended its builds)."""
    return _stopping.is_set()


@atexit.register
def _stop_children() -> None:
    """End running builds and remove what they leave: the job (the model's tensors) and the
    half-written graph. The threads waiting on them die with the process."""
    _stopping.set()
    for child, (folder, path) in list(_running.items()):
        child.kill()
        child.wait()
        shutil.rmtree(folder, ignore_errors=True)
        path.unlink(missing_ok=True)


def main(job_file: str) -> None:
    try:
        os.nice(10)  # the show's renders come first
    except (AttributeError, OSError):
        pass
    torch.set_num_threads(build_threads())
    job = torch.load(job_file, weights_only=False)  # our own file, written a moment ago
    from installation.model.generator import Generator
    from installation.model.stylegan3 import StyleGAN3Generator

    config = job["config"]
    G = (StyleGAN3Generator if config.architecture == "stylegan3" else Generator)(config)
    G.load_state_dict(job["state"])
    module, name = job["backend"]
    backend = getattr(importlib.import_module(module), name)
    G = G.requires_grad_(False).eval().to(job["device"])
    backend.write_graph(G, job["shape"], job["precision"], job["device"], Path(job["path"]))


def first_line(error: BaseException) -> str:
    """An error as one log line: its type and the first line of its message."""
    text = str(error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0] if text else ''}"


if __name__ == "__main__":
    try:
        main(sys.argv[1])
    except Exception as error:  # noqa: BLE001 - the last line of stderr is what the parent logs
        print(first_line(error), file=sys.stderr)
        sys.exit(1)
