"""MIDI learn: arm a target, move a control, and the binding is made and kept.

Arming (from a key bound to "learn:PARAM", or `/installation/learn PARAM` over OSC) waits up to
`TIMEOUT` seconds for a control change, note, program change or pitch bend, binds it with the
channel it came on, and saves every learnt binding to a TOML file beside the show
(`SHOW.midi-learn.toml`, `[[mappings]]` tables like the show's own), read again at the next
start. A learnt binding replaces any earlier one on the same control, from the file or the show.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path

import mido

from installation.errors import UserError
from installation.show.control_sections import MappingSettings, MidiSource
from installation.show.schema import SchemaError, check_table, settings_of

log = logging.getLogger(__name__)

TIMEOUT = 30.0


def learn_path(show_path: Path, configured: str) -> Path:
    if configured:
        return (show_path.parent / Path(configured).expanduser()).resolve()
    return show_path.with_name(show_path.name.removesuffix(".toml") + ".midi-learn.toml")


def read_bindings(path: Path) -> tuple[MappingSettings, ...]:
    """The bindings in a learn file; a broken file is a UserError naming it (the show stops:
    better than playing without the bindings the artist made)."""
    if not path.exists():
        return ()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        tables = data.get("mappings", [])
        return tuple(MappingSettings(**check_table(MappingSettings, t, path.parent)) for t in tables)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, SchemaError, TypeError) as error:
        raise UserError(f"{path}: cannot read MIDI learn bindings: {error}; fix or delete the file") from None


def write_bindings(path: Path, bindings: Sequence[MappingSettings], show_name: str) -> None:
    """Write atomically (a crash mid-write leaves the old file), only keys that differ from defaults."""
    lines = [f"# MIDI learn bindings for {show_name}, written by installation. Edit or delete freely.", ""]
    for binding in bindings:
        lines.append("[[mappings]]")
        for s in settings_of(MappingSettings):
            value = getattr(binding, s.name)
            if value != s.default:
                lines.append(f"{s.name} = {s.kind.format(value)}")
        lines.append("")
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text("\n".join(lines), encoding="utf-8")
    os.replace(temporary, path)


def source_of(message: mido.Message) -> MidiSource | None:
    """The control a message comes from, as a show names it (channels counted from 1, as
    in shows, where mido counts from 0); None for a message no mapping listens to."""
    if not hasattr(message, "channel"):
        return None  # clock, sysex, song position: no mapping listens to them
    kind, channel = message.type, message.channel + 1
    if kind == "control_change":
        return MidiSource("cc", message.control, channel)
    if kind in ("note_on", "note_off"):
        return MidiSource("note", message.note, channel)
    if kind == "program_change":
        return MidiSource("program", message.program, channel)
    if kind == "pitchwheel":
        return MidiSource("pitchbend", None, channel)
    if kind == "aftertouch":
        return MidiSource("aftertouch", None, channel)
    return None


def binding_for(message: mido.Message, target: str, acts_on_press: bool) -> MappingSettings | None:
    """The binding a message makes for `target`, or None for a message that cannot be bound."""
    kind = message.type
    source = source_of(message)
    if source is None or kind == "note_off" or (kind == "note_on" and message.velocity == 0):
        return None
    if acts_on_press:
        curve = "trigger"
    elif kind in ("note_on", "program_change"):
        curve = "toggle"  # a button on a value: flip it between its ends
    else:
        curve = "linear"
    return MappingSettings(midi=source, to=target, curve=curve)


class MidiLearn:
    """`arm(target)`, then `capture(message)` for each incoming message (from MidiRouter)."""

    def __init__(
        self,
        path: Path,
        show_name: str,
        *,
        acts_on_press: Callable[[str], bool | None],
        on_learnt: Callable[[MappingSettings], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = path
        self._show_name = show_name
        self._acts_on_press = acts_on_press  # None: not a known target
        self._on_learnt = on_learnt
        self._clock = clock
        self._lock = threading.Lock()
        self._armed: tuple[str, float] | None = None
        self.bindings: list[MappingSettings] = list(read_bindings(path))

    @property
    def armed(self) -> str | None:
        with self._lock:
            if self._armed is None or self._clock() > self._armed[1]:
                return None
            return self._armed[0]

    def arm(self, target: str) -> bool:
        """Wait for a control to bind to `target`; "" cancels. False for an unknown target."""
        if not target:
            with self._lock:
                self._armed = None
            return True
        if self._acts_on_press(target) is None:
            return False
        with self._lock:
            self._armed = (target, self._clock() + TIMEOUT)
        log.info("MIDI learn: move a control to bind it to %s", target)
        return True

    def capture(self, message: mido.Message) -> bool:
        """Bind `message`'s control if armed; True when it was used for that."""
        target = self.armed
        if target is None:
            return False
        binding = binding_for(message, target, bool(self._acts_on_press(target)))
        if binding is None:
            return False
        with self._lock:
            self._armed = None
            self.bindings = [b for b in self.bindings if not same_control(b.midi, binding.midi)] + [binding]
            bindings = list(self.bindings)
        try:
            write_bindings(self.path, bindings, self._show_name)
        except OSError as error:
            log.warning(
                "MIDI learn: could not save %s: %s (the binding works until the show stops)", self.path, error
            )
        log.info("MIDI learn: %s -> %s", binding.midi, target)
        self._on_learnt(binding)
        return True


def same_control(a: MidiSource, b: MidiSource) -> bool:
    """Whether two sources would respond to the same message (a channel of None is every channel)."""
    return (
        a.kind == b.kind
        and a.number == b.number
        and (None in (a.channel, b.channel) or a.channel == b.channel)
    )
