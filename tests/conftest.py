"""Shared test set-up: the repo root on sys.path and paths to the read-only shared fixtures."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("THP_MEM_ALLOC_ENABLE", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as the CLI sets it: see installation/cli.py
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.parts import SHARED_FIXTURES, require_part  # noqa: E402  (needs the root on sys.path)


@pytest.fixture(scope="session")  # a path: module fixtures (a model built once) may use it too
def shared_fixtures() -> Path:
    if not (SHARED_FIXTURES / "nv_ada_64_redacted.pkl").exists():
        require_part(
            "../shared",
            f"NVIDIA parity fixture not found at {SHARED_FIXTURES} (only CI and developers have ../shared)",
        )
    return SHARED_FIXTURES


@pytest.fixture(autouse=True)
def no_build_outlives_its_test():
    """End the graph builds a test left running (a background build it did not wait for, such
    as the engine's batch graphs): each would compile for minutes in a child process, on the
    cores the next tests need."""
    yield
    from installation.backends import build

    left = list(build._running)
    for child in left:
        child.kill()
        child.wait()
    if left:
        time.sleep(0.5)  # its worker logs the failed build now, not into the next test's log
