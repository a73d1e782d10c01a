"""Two-way OSC: current values sent out, so TouchOSC faders and TouchDesigner networks follow
what MIDI, scenes and the autopilot do.

Every 1/rate seconds the readable nodes are compared with what was sent last and only changes
go out, so no parameter is echoed more than `rate` times a second however fast it moves.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pythonosc.osc_message_builder import OscMessageBuilder

from installation.control.controls import Controls
from installation.control.osc_api import Node
from installation.control.osc_server import Sender

_TAGS = {float: "f", int: "i", str: "s"}


def encode(address: str, values: Sequence[float | int | str]) -> bytes:
    builder = OscMessageBuilder(address)
    for value in values:
        builder.add_arg(value, _TAGS[type(value)])
    return builder.build().dgram


class OscEcho:
    def __init__(
        self,
        nodes: Callable[[], dict[str, Node]],
        controls: Controls,
        send: Callable[[bytes, Sender], None],
        destinations: Sequence[Sender],
        rate: float,
    ) -> None:
        self._nodes = nodes
        self._controls = controls
        self._send = send
        self._destinations = list(destinations)
        self._period = 1.0 / rate
        self._next = 0.0
        self._sent: dict[str, list] = {}

    def current(self) -> dict[str, list]:
        """Every readable node's value (one bus snapshot for all)."""
        values = self._controls.values()
        out = {}
        for path, node in self._nodes().items():
            if node.value is not None and not path.endswith("/raw"):
                try:
                    out[path] = node.value(values)
                except KeyError:
                    continue  # a parameter reloaded away since the nodes were built
        return out

    def tick(self, now: float) -> None:
        if not self._destinations or now < self._next:
            return
        self._next = now + self._period
        for path, value in self.current().items():
            if self._sent.get(path) != value:
                self._sent[path] = value
                data = encode(path, value)
                for destination in self._destinations:
                    self._send(data, destination)

    def dump(self, destination: Sender) -> None:
        """Send every value to one receiver (a reply to /status)."""
        for path, value in self.current().items():
            self._send(encode(path, value), destination)
