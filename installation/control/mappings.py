"""Mappings: how one control's input becomes a parameter value or an action, for every surface.

A mapping (a `[[mappings]]` table, or a MIDI-learnt binding) takes input in its source's units,
normalises it to a position u in [0, 1] (in_min..in_max, optionally inverted), bends it with a
curve and spreads it over out_min..out_max in the parameter's units. Curves are fixed formulas
chosen by name; nothing from the show is ever evaluated as code.

Three kinds of input reach a mapping:
- `absolute(x)`: a fader, a knob, a webcam feature: the position itself;
- `relative(ticks)`: an encoder or a key: steps of `step` (a fraction of the range);
- `press(down)`: a button, a note, a key: edges fire triggers, flip toggles, run actions.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from installation.params.spec import ParamSpec
from installation.show.control_sections import MappingSettings
from installation.show.crosscheck import is_action

if TYPE_CHECKING:
    from installation.control.controls import Controls

# Default input ranges per source; a source missing here passes its number through unchanged
# (a program number or note number driving a keyframe, seed or scene index).
_MIDI_RANGES = {
    "cc": (0.0, 127.0),
    "pitchbend": (-8192.0, 8191.0),
    "aftertouch": (0.0, 127.0),
    "note": (0.0, 127.0),
}
_WEBCAM_RANGES = {"faces": (0.0, 5.0)}
_AUDIO_VALUES = ("tempo", "chroma")  # a BPM, a pitch class (0-11): the number is the value
TAKEOVER_TOLERANCE = 0.02  # positions this close count as matching (about 3 steps of a 7-bit knob)


def curve(kind: str, u: float, steepness: float) -> float:
    """Bend a position u in [0, 1]; exponential and log are each other's inverse."""
    if kind == "exponential":
        return (steepness**u - 1.0) / (steepness - 1.0)
    if kind == "log":
        return math.log1p((steepness - 1.0) * u) / math.log(steepness)
    return u


def uncurve(kind: str, v: float, steepness: float) -> float:
    """The position u that `curve` bends to v."""
    inverse = {"exponential": "log", "log": "exponential"}.get(kind, kind)
    return curve(inverse, v, steepness)


def default_input_range(m: MappingSettings) -> tuple[float, float] | None:
    if m.midi is not None:
        if m.midi.kind in ("note", "program") and m.midi.number is None:
            return None  # the note or program number is the value
        if m.fine:
            return 0.0, 16383.0
        return _MIDI_RANGES.get(m.midi.kind)
    if m.webcam is not None:
        return _WEBCAM_RANGES.get(m.webcam, (0.0, 1.0))
    if m.audio in _AUDIO_VALUES:
        return None
    return 0.0, 1.0


class Mapping:
    """One mapping bound to the running show: its settings, the spec of what it drives (a
    parameter's, or the range of an indexed action such as "scene"; None for other actions),
    and the little state it keeps (button state, where the physical control is)."""

    def __init__(self, settings: MappingSettings, spec: ParamSpec | None, takeover: str = "none") -> None:
        self.settings = settings
        self.spec = spec
        self.target = settings.to
        self.is_action = is_action(settings.to)
        self.takeover = takeover if settings.takeover == "midi" else settings.takeover
        given = None if settings.in_min is None else (settings.in_min, settings.in_max)
        self.in_range = given or default_input_range(settings)
        low = spec.min if spec is not None else 0.0
        high = spec.max if spec is not None else 1.0
        self.out_range = (
            low if settings.out_min is None else settings.out_min,
            high if settings.out_max is None else settings.out_max,
        )
        self.name = f"{settings.source}:{getattr(settings, settings.source)}->{settings.to}"
        self._down = False
        self._position: float | None = None  # the physical control's last position (takeover)

    @property
    def acts_on_edges(self) -> bool:
        """Whether any input is a button: pressed above the middle of its range, else released."""
        return self.settings.curve in ("toggle", "trigger") or (self.is_action and self.spec is None)

    @property
    def is_button(self) -> bool:
        """Whether a note or key acts on press and release rather than as a value."""
        return self.acts_on_edges or (not self.is_action and self.spec.type in ("trigger", "bool"))

    # --- the maths -------------------------------------------------------------------------

    def position(self, x: float) -> float:
        """Input in source units -> u in [0, 1]."""
        lo, hi = self.in_range
        u = min(max((x - lo) / (hi - lo), 0.0), 1.0)
        return 1.0 - u if self.settings.invert else u

    def value(self, u: float) -> float:
        """u -> output in the parameter's units."""
        lo, hi = self.out_range
        return lo + curve(self.settings.curve, u, self.settings.steepness) * (hi - lo)

    def position_of(self, value: float) -> float:
        """The u that gives `value` (clamped): where the control would have to be."""
        lo, hi = self.out_range
        v = min(max((float(value) - lo) / (hi - lo), 0.0), 1.0) if hi != lo else 0.0
        return uncurve(self.settings.curve, v, self.settings.steepness)

    def input_of(self, value: float) -> float:
        """The input (source units) that gives `value`: for MIDI feedback and OSC echoes."""
        u = self.position_of(value)
        lo, hi = self.in_range or self.out_range
        return lo + (1.0 - u if self.settings.invert else u) * (hi - lo)

    # --- inputs ----------------------------------------------------------------------------

    def absolute(self, x: float, controls: "Controls", source: str) -> None:
        if not math.isfinite(x):
            return
        if self.acts_on_edges:
            self.press(self.position(x) >= 0.5 if self.in_range else x >= 0.5, controls, source)
            return
        if self.in_range is None:  # a number that is the value (e.g. program -> scene index)
            self._write(x, controls, source)
            return
        u = self.position(x)
        if self.takeover != "none" and not self.is_action and not self._take_over(u, controls, source):
            return
        self._write(self.value(u), controls, source)

    def relative(self, ticks: float, controls: "Controls", source: str, step: float) -> None:
        """Move by `ticks` steps of `step` (the mapping's own step wins), from where the target is."""
        if self.is_action:
            if ticks and self.target == "scene":
                controls.action("scene:next" if ticks > 0 else "scene:previous", None, source)
            elif ticks:
                self.press(True, controls, source)
                self.press(False, controls, source)
            return
        step = self.settings.step if self.settings.step is not None else step
        u = self.position_of(controls.current(self.target))
        self._write(self.value(min(max(u + ticks * step, 0.0), 1.0)), controls, source)

    def press(self, down: bool, controls: "Controls", source: str, value: float | None = None) -> None:
        """A button edge; `value` is what a press carries (a note number for "note")."""
        was, self._down = self._down, down
        if not down or was:
            return
        if self.is_action:
            controls.action(self.target, value, source)
        elif self.spec.type == "trigger":
            controls.fire(self.target, source, self.name)
        elif self.settings.curve == "toggle" or self.spec.type == "bool":
            lo, hi = self.out_range
            current = float(controls.current(self.target))
            self._write(lo if abs(current - hi) < abs(current - lo) else hi, controls, source)
        else:
            self._write(self.out_range[1] if value is None else value, controls, source)

    def _write(self, value: float, controls: "Controls", source: str) -> None:
        if self.is_action:
            controls.action(self.target, value, source)
        elif self.settings.smoothing > 0:
            controls.glide(self.target, value, self.settings.smoothing, source, self.name)
        else:
            controls.write(self.target, value, source, self.name)

    def _take_over(self, u: float, controls: "Controls", source: str) -> bool:
        """Soft takeover: whether a control at u may write now. In step with the target means
        this mapping wrote it last; otherwise `pickup` waits until the control reaches or passes
        the target's position, and `scale` moves the target the rest of the way in proportion."""
        previous, self._position = self._position, u
        if controls.last_writer(self.target) == self.name:
            return True
        at = self.position_of(controls.current(self.target))
        if abs(u - at) <= TAKEOVER_TOLERANCE or (previous is not None and (previous - at) * (u - at) < 0):
            return True
        if self.takeover == "scale" and previous is not None and u != previous:
            # Moving up, the target covers what is left above it as the control covers what is left
            # above itself (and the same downwards), so both reach the end together.
            end = 1.0 if u > previous else 0.0
            moved = at + (u - previous) * (end - at) / (end - previous) if end != previous else end
            # Written under another name, so the control counts as in step only once they meet.
            controls.write(
                self.target, self.value(min(max(moved, 0.0), 1.0)), source, f"{self.name} (scaling)"
            )
        return False


def ease_to_defaults(controls: "Controls", mappings: list[Mapping], seconds: float, source: str) -> None:
    """What a lost sensor does: the parameters its mappings drive ease back to their defaults
    (floats over `seconds`, others at once); actions and triggers have nothing to return to."""
    now = controls.clock()
    for m in mappings:
        spec = controls.spec(m.target)
        if spec is None or m.is_action or spec.type == "trigger":
            continue
        if spec.type == "float":
            controls.fade(m.target, float(spec.default), seconds, now, source=source, writer=source)
        else:
            controls.write(m.target, float(spec.default), source, source)
