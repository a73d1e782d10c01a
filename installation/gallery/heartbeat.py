"""The renderer's pulse, sent to the supervisor over a private datagram socket pair.

The renderer (child) reports, a few times a second, how many frames it has presented and when
the last one was (time.monotonic(), one clock for all processes on the machine), plus a small
status object for the health page. The supervisor judges the age of that frame: a child that
stops presenting, or stops beating at all (stopped, deadlocked, swapping), is hung.

Datagrams keep messages whole and the socket's queue is bounded by the kernel: a sender never
blocks (a full queue drops the beat) and a reader never buffers more than it reads.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

FD_ENV = "INSTALLATION_HEARTBEAT_FD"
MAX_BYTES = 32 * 1024  # a beat with its status object; larger ones are cut down to the counters


@dataclass(frozen=True)
class Beat:
    """One report. `last_frame` is None until the first frame is presented; `paused` means the
    renderer stopped on purpose (the venue is closed), so an old frame is not a hang."""

    frames: int
    last_frame: float | None
    paused: bool = False
    status: dict[str, Any] = field(default_factory=dict)
    sent: float = 0.0

    def encode(self) -> bytes:
        fields = {
            "frames": self.frames,
            "last_frame": self.last_frame,
            "paused": self.paused,
            "sent": self.sent,
        }
        data = json.dumps({**fields, "status": self.status}, default=str).encode()
        return data if len(data) <= MAX_BYTES else json.dumps({**fields, "status": {}}).encode()

    @classmethod
    def decode(cls, data: bytes) -> Beat | None:
        """A beat from bytes, or None for anything malformed (only our own child writes here,
        but a crashing one may write garbage)."""
        try:
            obj = json.loads(data)
            frames, last, sent = obj["frames"], obj["last_frame"], obj["sent"]
            if not isinstance(frames, int) or not isinstance(sent, (int, float)):
                return None
            if last is not None and not isinstance(last, (int, float)):
                return None
            status = obj.get("status")
            return cls(
                frames, last, bool(obj.get("paused")), status if isinstance(status, dict) else {}, sent
            )
        except (ValueError, KeyError, TypeError):
            return None


def channel() -> tuple[socket.socket, socket.socket]:
    """(supervisor end, child end); the child end is inheritable, to be passed to the child."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    ours.setblocking(False)
    theirs.set_inheritable(True)
    return ours, theirs


class Receiver:
    """The supervisor's end: drains beats and keeps the latest."""

    def __init__(self, sock: socket.socket) -> None:
        self._socket = sock
        self.latest: Beat | None = None
        self.received_at: float | None = None

    def fileno(self) -> int:
        return self._socket.fileno()

    def drain(self) -> Beat | None:
        """Read every queued beat; the newest valid one, or None if none arrived."""
        newest = None
        while True:
            try:
                data = self._socket.recv(MAX_BYTES + 1)
            except BlockingIOError:
                break
            beat = Beat.decode(data)
            if beat is not None:
                newest = beat
        if newest is not None:
            self.latest, self.received_at = newest, time.monotonic()
        return newest

    def close(self) -> None:
        self._socket.close()


class Sender:
    """The child's end. `send` never blocks; `connected` turns False when the supervisor is gone,
    which tells an orphaned renderer to quit rather than run on unsupervised."""

    def __init__(self, sock: socket.socket) -> None:
        sock.setblocking(False)
        self._socket = sock
        self.connected = True

    @classmethod
    def from_environment(cls) -> Sender | None:
        """A sender on a copy of the inherited descriptor: closing it (or making another one, as
        a renderer waiting for its display does) leaves the inherited one open."""
        fd = os.environ.get(FD_ENV, "")
        if not fd.isdigit():
            return None
        try:
            return cls(socket.socket(fileno=os.dup(int(fd))))
        except OSError as error:
            log.warning("heartbeat descriptor %s unusable: %s", fd, error)
            return None

    def send(self, beat: Beat) -> bool:
        try:
            self._socket.send(beat.encode())
            return True
        except BlockingIOError:  # the supervisor is behind; the next beat says the same, newer
            return False
        except OSError:
            self.connected = False
            return False

    def close(self) -> None:
        self._socket.close()


class Pulse:
    """A daemon thread in the child that beats every `interval` seconds.

    `frames()` returns (frames presented, monotonic time of the last one or None); `paused()`
    and `status()` are read each beat. They are called from this thread, so they should only
    read attributes the render loop writes. `on_orphaned` runs once if the supervisor vanishes.
    """

    def __init__(
        self,
        sender: Sender,
        frames: Callable[[], tuple[int, float | None]],
        *,
        paused: Callable[[], bool] = lambda: False,
        status: Callable[[], dict[str, Any]] = dict,
        interval: float = 0.25,
        on_orphaned: Callable[[], None] | None = None,
    ) -> None:
        self._sender, self._frames, self._paused, self._status = sender, frames, paused, status
        self._interval, self._on_orphaned = interval, on_orphaned
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)

    def start(self) -> Pulse:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)

    def beat(self) -> bool:
        count, last = self._frames()
        try:
            status = self._status()
        except Exception as error:  # noqa: BLE001 - a status reader must never silence the pulse itself
            status = {"status_error": repr(error)}
        return self._sender.send(Beat(count, last, self._paused(), status, time.monotonic()))

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.beat()
            if not self._sender.connected:
                log.error("supervisor gone: stopping the renderer")
                if self._on_orphaned is not None:
                    self._on_orphaned()
                return
