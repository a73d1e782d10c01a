"""A follower: takes its leader's show clock and bus, so it renders the same motion."""

from __future__ import annotations

import logging
import socket
import struct
import time
from collections.abc import Callable
from typing import Any

from installation.engine import ShowClock
from installation.params.bus import ParameterBus
from installation.sync.endpoint import Endpoint
from installation.sync.wire import ClockState, is_multicast, parse

log = logging.getLogger(__name__)

SEEK_OVER_S = 0.004  # further off the leader than this (a quarter frame at 60 Hz): jump to it
LOST_AFTER_S = 2.0  # no packet for this long: the leader is gone, hold the last picture
SOURCE = "leader"


class Follower(Endpoint):
    """Listens on (host, port) (a multicast group is joined). Its `clock` seeks to the leader's
    show time, and its `bus` restores the leader's entries (source 'leader'). With no leader for
    LOST_AFTER_S the clock pauses, so the picture holds, and `problem` says so. `motion(anchor)`
    takes the leader's motion clock anchor, and says whether it could (not before the model is
    loaded). It is in sync from the first snapshot whose anchor was taken."""

    def __init__(
        self,
        clock: ShowClock,
        bus: ParameterBus,
        listen: tuple[str, int],
        motion: Callable[[tuple[float, float]], bool] = lambda anchor: True,
    ) -> None:
        self._clock, self._bus, self._adopt_motion = clock, bus, motion
        host, port = listen
        super().__init__("sync-follower")
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if is_multicast(host):
            self._socket.bind(("", port))
            group = struct.pack("4s4s", socket.inet_aton(host), socket.inet_aton("0.0.0.0"))
            self._socket.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, group)
        else:
            self._socket.bind((host, port))
        self._socket.settimeout(0.1)
        self.address = self._socket.getsockname()
        self._last_seq = -1
        self._heard_at: float | None = None  # monotonic time of the last packet
        self._leader: tuple[str, int] | None = None  # where the last packet came from
        self.synced_at: float | None = None  # monotonic time of the first snapshot taken whole
        self.seeks = 0
        self.offset_s: float | None = None  # this show time less the leader's, at the last packet

    @property
    def problem(self) -> str:
        """'' while the leader is heard; else what the screen is doing about it."""
        if self._heard_at is None:
            return f"waiting for the leader on udp {self.address[0]}:{self.address[1]}"
        silent = time.monotonic() - self._heard_at
        if silent > LOST_AFTER_S:
            return f"no leader for {silent:.0f} s: holding the last picture"
        return ""

    @property
    def state(self) -> str:
        """waiting (nothing heard yet), joining (heard, no whole snapshot yet), following, or
        holding (the leader gone: the last picture held)."""
        if self._heard_at is None:
            return "waiting"
        if time.monotonic() - self._heard_at > LOST_AFTER_S:
            return "holding"
        return "following" if self.synced_at is not None else "joining"

    def status(self) -> dict[str, Any]:
        """For /health: the state, the leader heard, how long ago, and how far off it this
        show's clock was then (before seeking to it)."""
        heard, leader, offset = self._heard_at, self._leader, self.offset_s
        return {
            "role": "follower",
            "state": self.state,
            "listen": f"{self.address[0]}:{self.address[1]}",
            "leader": None if leader is None else f"{leader[0]}:{leader[1]}",
            "last_packet_age_s": None if heard is None else round(time.monotonic() - heard, 3),
            "show_time_offset_ms": None if offset is None else round(offset * 1000, 3),
            "seeks": self.seeks,
            "problem": self.problem,
        }

    def line(self) -> str:
        """The HUD's sync line."""
        status = self.status()
        if status["leader"] is None:
            return f"sync: {self.problem}"
        age, offset = status["last_packet_age_s"], status["show_time_offset_ms"] or 0.0
        heard = f"last packet {age:.1f} s ago   off by {offset:.1f} ms"
        return f"sync: {status['state']} {status['leader']}   {heard}"

    def _run(self) -> None:
        while not self._stopped.is_set():
            try:
                data, sender = self._socket.recvfrom(65536)
            except TimeoutError:
                data = None
            except OSError:
                return  # closed by stop()
            if data:
                self._take(*parse(data), sender)
            elif self.problem and self._heard_at is not None and not self._clock.paused:
                self._clock.pause()
                log.warning("sync: %s", self.problem)

    def _take(self, clock: ClockState | None, entries: list[tuple], sender: tuple[str, int]) -> None:
        if clock is None:
            return
        self._heard_at, self._leader = time.monotonic(), sender
        if clock.seq < self._last_seq and clock.seq > 1:
            return  # an older packet overtaken by a newer one: it says nothing new
        if clock.seq <= 1:
            self._last_seq = -1  # the leader restarted
        self._last_seq = clock.seq
        if entries:
            self._bus.restore(entries, SOURCE)
        moved = clock.motion is not None and self._adopt_motion(clock.motion)
        target = clock.show_time_at(time.time())
        self.offset_s = self._clock.now() - target
        if clock.paused != self._clock.paused or abs(self.offset_s) > SEEK_OVER_S:
            self._clock.seek(target, clock.paused)
            self.seeks += 1
        if self.synced_at is None and moved and len(entries) >= len(self._bus.specs):
            self.synced_at = time.monotonic()
            log.info("sync: following the leader at show time %.2f s", target)
