"""Shared test set-up: the repo root on sys.path and paths to the read-only shared fixtures."""

from __future__ import annotations

import os
import sys
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
