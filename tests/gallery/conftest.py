"""Fixtures of the gallery tests."""

from __future__ import annotations

import threading

import pytest

from installation.gallery.supervisor import Supervisor
from tests.control.conftest import jack  # noqa: F401 - the JACK server fixture test_faults.py uses


class Running:
    """A supervisor on a background thread, stopped at the end of the test."""

    def __init__(self, supervisor: Supervisor) -> None:
        self.supervisor = supervisor
        self.thread = threading.Thread(target=supervisor.run, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.supervisor.stop()
        self.thread.join(timeout=15)
        assert not self.thread.is_alive(), "supervisor did not stop"


@pytest.fixture
def supervise():
    running: list[Running] = []

    def start(supervisor: Supervisor) -> Supervisor:
        running.append(Running(supervisor))
        return supervisor

    yield start
    for r in running:
        r.stop()
