"""`run.py play --lead/--follow`: a Leader or a Follower around a LiveShow."""

from __future__ import annotations

import threading

from installation.sync.follower import Follower
from installation.sync.leader import Leader
from installation.sync.wire import parse_address

DEFAULT_PORT = 9100


def _anchor(live) -> tuple[float, float] | None:
    source = live.source
    return None if source is None else source.motion_clock.anchor


def _adopt(live, anchor: tuple[float, float]) -> bool:
    source = live.source
    if source is not None:
        source.motion_clock.adopt(anchor)
    return source is not None


class SyncSession:
    """The show's sync role, started before its first frame (`play`'s setup hook) and stopped
    after its last. A follower's problem (no leader) goes on the HUD's note line."""

    def __init__(self, lead: str | None = None, follow: str | None = None) -> None:
        from installation.errors import UserError

        if lead is not None and follow is not None:
            raise UserError("--lead and --follow: a show either leads or follows")
        self._targets = [parse_address(t.strip(), "127.0.0.1") for t in lead.split(",")] if lead else None
        self._listen = parse_address(follow) if follow else None
        self.role: Leader | Follower | None = None
        self._stopped = threading.Event()

    @property
    def follows(self) -> bool:
        return self._listen is not None

    def setup(self, live, presenter=None) -> None:
        if self._targets is not None:
            self.role = Leader(live.clock, live.bus, self._targets, lambda: _anchor(live)).start()
        elif self._listen is not None:
            self.role = Follower(live.clock, live.bus, self._listen, lambda a: _adopt(live, a)).start()
            threading.Thread(target=self._show_problems, args=(live,), name="sync-hud", daemon=True).start()
        if self.role is not None:
            live.hud_extras.append(self.role.line)

    def status(self) -> dict | None:
        """The role's state for /health (None for a show that neither leads nor follows)."""
        return None if self.role is None else self.role.status()

    def _show_problems(self, live) -> None:
        shown = ""
        while not self._stopped.wait(0.25):
            problem = self.role.problem
            if problem != shown:
                live.note, shown = (f"sync: {problem}" if problem else ""), problem

    def stop(self) -> None:
        self._stopped.set()
        if self.role is not None:
            self.role.stop()
