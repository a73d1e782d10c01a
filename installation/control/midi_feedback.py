"""Parameter values sent back to MIDI outputs, for motorised faders and LED rings.

Each absolute CC mapping (and each note mapped to an on/off parameter, for button LEDs) with
`feedback` gets its parameter's value whenever it changed, at most `rate` times a second. A
control is not sent the value it just set itself (a motorised fader would fight the hand); a
newly (re)connected output gets everything again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from installation.control.mappings import Mapping

if TYPE_CHECKING:
    from installation.control.controls import Controls


def feedback_messages(m: Mapping, value: float) -> list[list[int]]:
    """The MIDI bytes that show `value` on the mapping's control."""
    source = m.settings.midi
    status_channel = (source.channel or 1) - 1
    position = int(round(m.input_of(value)))
    if source.kind == "note":
        on = m.position_of(value) >= 0.5
        return [[0x90 | status_channel, source.number, 127 if on else 0]]
    if m.settings.fine:
        position = min(max(position, 0), 16383)
        return [
            [0xB0 | status_channel, source.number, position >> 7],
            [0xB0 | status_channel, source.number + 32, position & 0x7F],
        ]
    return [[0xB0 | status_channel, source.number, min(max(position, 0), 127)]]


def wants_feedback(m: Mapping) -> bool:
    s = m.settings
    if not s.feedback or s.midi is None or m.is_action or m.spec is None:
        return False
    if s.midi.kind == "cc":
        return s.encoder == "absolute"
    return s.midi.kind == "note" and s.midi.number is not None and m.spec.type == "bool"


class MidiFeedback:
    def __init__(
        self,
        mappings: Sequence[Mapping],
        controls: "Controls",
        send: Callable[[list[int]], None],
        connects: Callable[[], int],
        rate: float = 30.0,
    ) -> None:
        self._mappings = [m for m in mappings if wants_feedback(m)]
        self._controls = controls
        self._send = send
        self._connects = connects
        self._period = 1.0 / rate
        self._next = 0.0
        self._sent: dict[int, list[list[int]]] = {}
        self._seen_connects = -1

    def tick(self, now: float) -> None:
        if not self._mappings or now < self._next:
            return
        self._next = now + self._period
        if self._connects() != self._seen_connects:
            self._seen_connects = self._connects()
            self._sent.clear()
        values = self._controls.values()
        for index, m in enumerate(self._mappings):
            if m.target not in values:
                continue
            messages = feedback_messages(m, values[m.target])
            if self._sent.get(index) == messages:
                continue
            self._sent[index] = messages
            if self._controls.last_writer(m.target) == m.name:
                continue  # the control is already where the value is
            for data in messages:
                self._send(data)
