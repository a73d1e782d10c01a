"""`run.py play --health [HOST:]PORT`: this machine's GET /health while it plays (a wall of
synced screens is watched machine by machine: its sync state is in it)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from installation.errors import UserError
from installation.gallery.health import HealthServer
from installation.sync.session import SyncSession
from installation.sync.wire import parse_address


class PlayHealth:
    """Listens as soon as it is made (a port in use is a UserError before the model loads);
    answers 'starting' until `attach` gives it the running show."""

    def __init__(self, address: str, sync: SyncSession) -> None:
        host, port = parse_address(address, "127.0.0.1")
        try:
            self._server = HealthServer(self.status, host, port)
        except OSError as error:
            raise UserError(f"--health {address}: cannot listen there ({error.strerror or error})") from None
        self._sync, self._live = sync, None
        self._displayed_fps: Callable[[], float] = lambda: 0.0
        self.url = self._server.url

    def attach(self, live, displayed_fps: Callable[[], float]) -> None:
        """Serve `live` from now on; `displayed_fps`: the screen's rate (the presenter's)."""
        self._live, self._displayed_fps = live, displayed_fps
        self._server.start()

    def status(self) -> dict[str, Any]:
        live = self._live
        if live is None:
            return {"state": "starting"}
        sync = self._sync.status()
        if sync is not None and sync.get("state") == "holding":
            state = "holding"
        else:
            state = "paused" if live.clock.paused else "playing"
        return {
            "state": state,
            "show_time": round(live.clock.now(), 4),
            **live.frame_status(self._displayed_fps()),
            "note": live.note,
            "tile": None if live.tile is None else dataclasses.asdict(live.tile),
            "sync": sync,
        }

    def close(self) -> None:
        self._server.close()
