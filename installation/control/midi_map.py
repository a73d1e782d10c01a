"""MIDI messages -> mappings: control changes (7-bit, 14-bit pairs, relative encoders), notes,
program changes, pitch bend and channel pressure; clock to the tempo; MIDI learn first.

Runs in rtmidi's thread for each message, so it only looks things up and writes parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import mido

from installation.control.drops import Drops
from installation.control.mappings import Mapping
from installation.control.midi_clock import MidiClock

if TYPE_CHECKING:
    from installation.control.controls import Controls
    from installation.control.midi_learn import MidiLearn

ENCODER_STEP = 1.0 / 128  # fraction of the range per encoder tick, unless the mapping says


def encoder_ticks(kind: str, value: int) -> int:
    """Signed steps from a relative encoder's 7-bit value."""
    if kind == "twos_complement":  # 1..63 up, 127..65 down (-1..-63)
        return value - 128 if value >= 64 else value
    if kind == "offset64":  # 65.. up, ..63 down, 64 still
        return value - 64
    if kind == "sign_bit":  # bit 6 is the sign: 1..63 up, 65..127 down
        return -(value & 0x3F) if value & 0x40 else value & 0x3F
    raise ValueError(kind)


class MidiRouter:
    def __init__(
        self,
        mappings: Sequence[Mapping],
        controls: "Controls",
        drops: Drops,
        *,
        clock: MidiClock | None = None,
        learn: "MidiLearn | None" = None,
    ) -> None:
        self._controls = controls
        self._drops = drops
        self._clock = clock
        self._learn = learn
        self._table: dict[tuple[str, int | None], list[Mapping]] = {}
        self._lsb_of: dict[int, list[Mapping]] = {}  # cc n+32 -> the 14-bit mappings on cc n
        self._fine: dict[tuple[int, int], list[int]] = {}  # (channel, msb cc) -> [msb, lsb]
        for m in mappings:
            self._table.setdefault((m.settings.midi.kind, m.settings.midi.number), []).append(m)
            if m.settings.fine:
                self._lsb_of.setdefault(m.settings.midi.number + 32, []).append(m)

    def handle(self, port: str, data: list[int], t: float) -> None:
        """One raw MIDI message from `port` (rtmidi's callback)."""
        try:
            message = mido.Message.from_bytes(data)
        except (ValueError, TypeError):
            self._drops.drop("malformed MIDI message", port)
            return
        kind = message.type
        if kind in ("clock", "start", "stop", "continue"):
            if self._clock is None:
                return
            if kind == "clock":
                self._clock.tick(t)
            elif kind == "stop":
                self._clock.stop()
            else:
                self._clock.start()
            return
        if not hasattr(message, "channel"):
            return  # song position, sysex and the like: nothing maps to them
        self._controls.note_input("midi")
        if self._learn is not None and self._learn.capture(message):
            return
        channel = message.channel + 1
        if kind == "control_change":
            self._control_change(channel, message.control, message.value)
        elif kind == "note_on" and message.velocity > 0:
            self._note(channel, message.note, message.velocity, True)
        elif kind in ("note_on", "note_off"):
            self._note(channel, message.note, 0, False)
        elif kind == "program_change":
            for m in self._matching("program", message.program, channel):
                m.press(True, self._controls, "midi")
                m.press(False, self._controls, "midi")
            for m in self._matching("program", None, channel):
                m.absolute(message.program, self._controls, "midi")
        elif kind == "pitchwheel":
            for m in self._matching("pitchbend", None, channel):
                m.absolute(message.pitch, self._controls, "midi")
        elif kind == "aftertouch":
            for m in self._matching("aftertouch", None, channel):
                m.absolute(message.value, self._controls, "midi")

    def _matching(self, kind: str, number: int | None, channel: int) -> list[Mapping]:
        return [m for m in self._table.get((kind, number), ()) if m.settings.midi.channel in (None, channel)]

    def _control_change(self, channel: int, control: int, value: int) -> None:
        for m in self._matching("cc", control, channel):
            s = m.settings
            if s.encoder != "absolute":
                m.relative(encoder_ticks(s.encoder, value), self._controls, "midi", ENCODER_STEP)
            elif s.fine:
                # The coarse half resets the fine half (the MIDI rule), so a move from 0x3F7F up
                # to 0x4000 does not pass through 0x407F on the way.
                self._fine[(channel, control)] = [value, 0]
                m.absolute(value << 7, self._controls, "midi")
            else:
                m.absolute(value, self._controls, "midi")
        for m in self._lsb_of.get(control, ()):
            if m.settings.midi.channel in (None, channel):
                pair = self._fine.setdefault((channel, control - 32), [0, 0])
                pair[1] = value
                m.absolute((pair[0] << 7) | value, self._controls, "midi")

    def _note(self, channel: int, note: int, velocity: int, down: bool) -> None:
        for m in self._matching("note", note, channel) + self._matching("note", None, channel):
            any_note = m.settings.midi.number is None
            if m.is_button:
                m.press(down, self._controls, "midi", note if any_note else None)
            elif down:
                m.absolute(note if any_note else velocity, self._controls, "midi")
