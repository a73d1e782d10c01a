"""Helpers of the gallery tests: the stand-in renderer, child environments, waiting on conditions."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def child_env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(ROOT), SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def stand_in(*behaviour: str) -> Callable[[int], list[str]]:
    """launch(level) for the stand-in renderer."""
    return lambda level: [sys.executable, str(HERE / "heartbeat_child.py"), str(level), *behaviour]
