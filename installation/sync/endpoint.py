"""What the leader and a follower share: one UDP socket served by one daemon thread."""

from __future__ import annotations

import socket
import threading
from typing import Self


class Endpoint:
    """`_run` (the subclass's loop) returns once `_stopped` is set; `stop` then closes the socket."""

    def __init__(self, name: str) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _run(self) -> None:
        raise NotImplementedError

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join(2.0)
        self._socket.close()
