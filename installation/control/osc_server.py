"""The OSC transport: one UDP socket, one receiving thread, python-osc's packet parser.

A thread per packet (socketserver's threading mix-in) would spawn a thousand threads a second
under a busy TouchDesigner network; one loop that parses and dispatches in place keeps up with
that and keeps message order. Replies and echoes leave from the same socket, so a client sees
them come from the port it sends to (TouchOSC relies on that).

Packets from senders outside the allow-list (when there is one) are dropped unread.
Nothing a sender does can stop the loop: oversized or unparsable packets and failing handlers
are counted and dropped. Messages in a bundle whose time tag is in the future are handed to
`defer` to run at that time.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable

import pythonosc
from pythonosc.osc_packet import OscPacket

from installation.control.drops import Drops
from installation.errors import UserError
from installation.gallery.health import Network, allowed

log = logging.getLogger(__name__)

Sender = tuple[str, int]
# (address, arguments, sender) -> None; raise nothing, report refusals through Drops.
Handler = Callable[[str, tuple, Sender], None]
# (delay in seconds, call) -> whether it was accepted
Defer = Callable[[float, Callable[[], None]], bool]

MAX_DATAGRAM = 65535


_PYTHONOSC = os.path.dirname(pythonosc.__file__) + os.sep
_complaints = threading.local()  # how many lines python-osc tried to log while parsing, per thread


class _QuietParser(logging.Filter):
    """python-osc logs what it cannot parse (unknown type tags, bundle contents it cannot
    identify) on the root logger, a line per packet that echoes the sender's bytes. Those lines
    never reach a handler: the parsing thread counts them, and `OscServer.receive` reports the
    packet through `Drops`, whose logging is rate-limited."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.pathname.startswith(_PYTHONOSC):
            return True
        _complaints.count = getattr(_complaints, "count", 0) + 1
        return False


logging.getLogger().addFilter(_QuietParser())

RECEIVE_BUFFER = 4 * 1024 * 1024  # absorbs bursts while the loop is busy; the kernel may cap it
MAX_DELAY = 60.0  # seconds: bundles further ahead than this are refused, not queued


class OscServer:
    """Receives OSC over UDP at (host, port); port 0 picks a free one (see `address`)."""

    def __init__(
        self,
        host: str,
        port: int,
        handler: Handler,
        drops: Drops,
        *,
        defer: Defer | None = None,
        max_packet: int = 16384,
        allow: tuple[Network, ...] = (),
    ) -> None:
        self._handler = handler
        self._allow = allow
        self._drops = drops
        self._defer = defer
        self._max_packet = max_packet
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
            self._sock.bind((host, port))
        except OSError as error:
            self._sock.close()
            raise UserError(f"cannot listen for OSC on {host}:{port}: {error.strerror or error}") from None
        self._sock.settimeout(0.2)  # how quickly stop() is noticed
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="osc-receive", daemon=True)
        self.packets = 0

    @property
    def thread_id(self) -> int | None:
        """The receiving thread's system id (for CPU accounting)."""
        return self._thread.native_id

    @property
    def address(self) -> Sender:
        return self._sock.getsockname()

    def start(self) -> None:
        self._thread.start()
        log.info("OSC listening on %s:%d (UDP)", *self.address)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)
        self._sock.close()

    def send(self, data: bytes, destination: Sender) -> None:
        """Send a datagram; a destination that is down or unreachable is not our problem."""
        try:
            self._sock.sendto(data, destination)
        except OSError:
            self._drops.drop("send failed", f"{destination[0]}:{destination[1]}")

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data, sender = self._sock.recvfrom(MAX_DATAGRAM)
            except TimeoutError:
                continue
            except OSError:
                if self._stop.is_set():
                    return
                continue  # e.g. ICMP port unreachable from an earlier send, reported here
            self.packets += 1
            self.receive(data, sender)

    def receive(self, data: bytes, sender: Sender) -> None:
        """Parse one datagram and dispatch its messages (public so the benchmark can time it)."""
        if self._allow and not allowed(sender[0], self._allow):
            self._drops.drop("sender not allowed", sender[0])
            return
        if len(data) > self._max_packet:
            self._drops.drop("oversized packet", f"{sender[0]}:{sender[1]}", f"{len(data)} bytes")
            return
        _complaints.count = 0
        try:
            messages = OscPacket(data).messages
        except Exception:  # noqa: BLE001 - the parser raises more than ParseError on hostile input
            self._drops.drop("malformed packet", f"{sender[0]}:{sender[1]}")
            return
        if _complaints.count:  # parts of it were skipped (see _QuietParser)
            self._drops.drop("unparsable parts skipped", f"{sender[0]}:{sender[1]}")
        now = time.time()
        for timed in messages:
            address, args = timed.message.address, tuple(timed.message.params)
            delay = timed.time - now
            if delay > 0.001 and self._defer is not None:
                if delay > MAX_DELAY:
                    self._drops.drop("time tag too far ahead", address, f"{delay:.0f} s")
                elif not self._defer(delay, lambda a=address, p=args: self._dispatch(a, p, sender)):
                    self._drops.drop("too many scheduled bundles", address)
                continue
            self._dispatch(address, args, sender)

    def _dispatch(self, address: str, args: tuple, sender: Sender) -> None:
        try:
            self._handler(address, args, sender)
        except Exception as error:  # noqa: BLE001 - a bug in one handler must not stop the server
            self._drops.drop("handler error", address, f"{type(error).__name__}: {error}")
