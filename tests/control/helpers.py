"""Helpers shared by the control-surface tests."""

from __future__ import annotations

import time
from collections.abc import Callable

from installation.params.bus import ParameterBus

# Show text that starts OSC on a free port and nothing else that needs hardware.
QUIET = "[osc]\nport = 0\nquery_port = -1\n[midi]\nenabled = false\n"


def eventually(check: Callable[[], bool], timeout: float = 2.0) -> bool:
    """Poll `check` until it holds or `timeout` seconds pass."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.005)
    return check()


def settled(bus: ParameterBus) -> dict:
    """The bus's values with smoothing finished (a snapshot far in the future)."""
    return dict(bus.snapshot(time.monotonic() + 1e6).values)
