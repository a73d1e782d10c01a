"""systemd's notify protocol (sd_notify(3)), without libsystemd: datagrams to $NOTIFY_SOCKET.

A unit with `Type=notify` waits for READY=1 before it counts as started, and with `WatchdogSec=`
kills and restarts the service when WATCHDOG=1 stops arriving. The supervisor sends both only
after the renderer reports a frame really presented, so "started" and "alive" mean pictures on
the screen, not a process that exists. Outside systemd (no NOTIFY_SOCKET) every call is a no-op.
"""

from __future__ import annotations

import logging
import os
import socket

log = logging.getLogger(__name__)


class Notifier:
    """Sends state lines to the service manager; failures are logged once and never raised."""

    def __init__(self, address: str | None = None) -> None:
        address = os.environ.get("NOTIFY_SOCKET") if address is None else address
        # '@' names a Linux abstract socket, written with a leading NUL byte at the socket layer.
        self._address = "\0" + address[1:] if address and address.startswith("@") else address
        self._socket: socket.socket | None = None
        self._warned = False

    @property
    def active(self) -> bool:
        return bool(self._address)

    def send(self, *assignments: str) -> bool:
        """Send e.g. "READY=1", "STATUS=playing"; True when the datagram went out."""
        if not self._address:
            return False
        message = "\n".join(assignments).encode("utf-8", "replace")
        try:
            if self._socket is None:
                self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
                self._socket.setblocking(False)  # a manager that stops reading must not stop us
            self._socket.sendto(message, self._address)
            return True
        except BlockingIOError:  # its queue is full: this ping is lost, the next one may pass
            return False
        except OSError as error:
            if not self._warned:
                log.warning("cannot notify systemd at %r: %s", self._address, error)
                self._warned = True
            return False

    def ready(self, status: str = "") -> bool:
        return self.send("READY=1", *([f"STATUS={status}"] if status else []))

    def watchdog(self) -> bool:
        return self.send("WATCHDOG=1")

    def status(self, text: str) -> bool:
        return self.send(f"STATUS={text}")

    def stopping(self) -> bool:
        return self.send("STOPPING=1")


def watchdog_interval() -> float | None:
    """Seconds between WATCHDOG=1 pings systemd expects of this process (half its timeout), or None.

    WATCHDOG_PID, when set, names the one process the watchdog is for.
    """
    usec = os.environ.get("WATCHDOG_USEC", "")
    pid = os.environ.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0 or (pid and pid != str(os.getpid())):
        return None
    return int(usec) / 2e6


def child_environment(environ: dict[str, str]) -> dict[str, str]:
    """`environ` without the notify variables: only the supervisor speaks to systemd."""
    return {k: v for k, v in environ.items() if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID")}
