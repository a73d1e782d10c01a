"""The leader: publishes its show clock and every bus write to the followers, over UDP."""

from __future__ import annotations

import logging
import queue
import socket
import time
from collections.abc import Callable
from typing import Any

from installation.engine import ShowClock
from installation.params.bus import ParameterBus
from installation.sync.endpoint import Endpoint
from installation.sync.wire import ClockState, bundle, is_multicast

log = logging.getLogger(__name__)

CLOCK_EVERY_S = 0.2  # a clock on its own: followers notice a pause or a lost leader quickly
SNAPSHOT_EVERY_S = 1.0  # everything: a follower that joins late or lost packets is whole after this
POLL_S = 0.01  # how often a pause is looked for (writes go out as soon as they are taken)


class Leader(Endpoint):
    """Sends to each (host, port) in `targets` (unicast, or a multicast group): each bus write
    as soon as it is taken, the clock every CLOCK_EVERY_S, a snapshot every SNAPSHOT_EVERY_S.
    `motion()`: the motion clock's anchor (None until the model is loaded).
    Runs in its own thread; the render loop never waits on it."""

    def __init__(
        self,
        clock: ShowClock,
        bus: ParameterBus,
        targets: list[tuple[str, int]],
        motion: Callable[[], tuple[float, float] | None] = lambda: None,
    ) -> None:
        self._clock, self._bus, self._targets, self._motion = clock, bus, list(targets), motion
        self._written: queue.SimpleQueue[str] = queue.SimpleQueue()
        super().__init__("sync-leader")
        if any(is_multicast(host) for host, _ in self._targets):
            self._socket.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)  # one LAN
        self._seq = 0
        self.bytes_sent = 0
        self.datagrams_sent = 0
        bus.watch(self._written.put)

    def status(self) -> dict[str, Any]:
        """For /health: who it sends to, and how much."""
        return {
            "role": "leader",
            "followers": [f"{host}:{port}" for host, port in self._targets],
            "datagrams_sent": self.datagrams_sent,
            "bytes_sent": self.bytes_sent,
        }

    def line(self) -> str:
        """The HUD's sync line."""
        return f"sync: leading {len(self._targets)} followers   {self.datagrams_sent} datagrams sent"

    def _clock_now(self) -> ClockState:
        self._seq += 1
        # Show time and wall time read back to back: their pairing is the whole time base.
        wall, show_time = time.time(), self._clock.now()
        return ClockState(wall, show_time, 1.0, self._clock.paused, self._seq, self._motion())

    def _send(self, entries: list[tuple]) -> None:
        data = bundle(self._clock_now(), entries)
        for target in self._targets:
            try:
                self._socket.sendto(data, target)
            except OSError as error:  # a follower's network down: the others go on, it catches up
                log.debug("sync to %s:%d failed: %s", *target, error)
                continue
            self.bytes_sent += len(data)
            self.datagrams_sent += 1

    def _run(self) -> None:
        last_clock = last_snapshot = 0.0
        paused = self._clock.paused
        while not self._stopped.is_set():
            names = set()
            try:
                names.add(self._written.get(timeout=POLL_S))
                while True:
                    names.add(self._written.get_nowait())
            except queue.Empty:
                pass
            now = time.monotonic()
            if now - last_snapshot >= SNAPSHOT_EVERY_S:
                self._send(self._bus.entries())
                last_snapshot = last_clock = now
            elif names:
                self._send(self._bus.entries(names))
                last_clock = now
            elif now - last_clock >= CLOCK_EVERY_S or self._clock.paused != paused:
                self._send([])
                last_clock = now
            paused = self._clock.paused
