"""Show-file sections of the control surfaces: `[osc]`, `[midi]`, `[webcam]`, `[keyboard]`,
`[autopilot]`, `[[mappings]]` and `[scenes.NAME]`.

Declared with the schema mechanism of `installation.show.schema` (owned by the show package);
`installation.show.sections.Show` lists them. Names that refer to other sections (a mapping's
parameter, a scene named by a key) are checked against the whole show by
`installation.control.validate.check_show`, once the show is loaded.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from installation.show.gallery_sections import Address, Network
from installation.show.schema import (
    AnyOf,
    Choice,
    Flag,
    Integer,
    Kind,
    ListOf,
    Number,
    SchemaError,
    Text,
    setting,
    toml_repr,
)

CURVES = ("linear", "exponential", "log", "toggle", "trigger")
ENCODERS = ("absolute", "twos_complement", "offset64", "sign_bit")
TAKEOVERS = ("none", "pickup", "scale")
SOURCES = ("midi", "osc", "webcam", "key")
WEBCAM_FEATURES = (
    "motion",
    "motion_x",
    "motion_y",
    "presence",
    "foreground",
    "brightness",
    "hue",
    "faces",
    "face_x",
    "face_y",
    "face_size",
)
# Targets that are not parameters: what they do lives in installation.control.actions.
ACTIONS = {
    "keyframe": ("next", "previous", "random"),
    "seed": ("next", "previous", "random"),
    "scene": None,  # scene:NAME, scene:next, scene:previous; plain "scene" takes an index
    "learn": None,  # learn:PARAM arms MIDI learn for PARAM
    "autopilot": ("on", "off", "toggle"),
}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SCENE_NAME = re.compile(r"[A-Za-z0-9_\-]+")


@dataclass(frozen=True)
class MidiSource:
    """What a MIDI mapping listens to. `kind`: cc, note, program, pitchbend or aftertouch;
    `number` None matches any note or program (the number becomes the value); `channel` 1-16,
    None for any."""

    kind: str
    number: int | None = None
    channel: int | None = None

    def __str__(self) -> str:
        parts = [] if self.channel is None else [f"ch {self.channel}"]
        parts.append(self.kind if self.number is None else f"{self.kind} {self.number}")
        return " ".join(parts)


class MidiSpec(Kind):
    """ "cc 21", "ch 2 cc 21", "note 60", "note", "program 3", "program", "pitchbend", "aftertouch"."""

    _GRAMMAR = re.compile(
        r"\s*(?:ch(?:annel)?\s*(\d+)\s+)?(cc|note|program|pitchbend|aftertouch)(?:\s+(\d+))?\s*",
        re.IGNORECASE,
    )

    def describe(self) -> str:
        return 'a MIDI control like "cc 21", "ch 2 cc 21", "note 60", "program" or "pitchbend"'

    def convert(self, value: Any, base: Path) -> MidiSource:
        match = self._GRAMMAR.fullmatch(value) if isinstance(value, str) else None
        if not match:
            raise self.mismatch(value)
        channel, kind = match.group(1), match.group(2).lower()
        number = None if match.group(3) is None else int(match.group(3))
        if (channel is not None and not 1 <= int(channel) <= 16) or (number is not None and number > 127):
            raise ValueError(f"expected channels 1-16 and numbers 0-127, got {toml_repr(value)}")
        if kind == "cc" and number is None:
            raise ValueError(f'a cc needs its number, e.g. "cc 21"; got {toml_repr(value)}')
        if kind in ("pitchbend", "aftertouch") and number is not None:
            raise ValueError(f"{kind} has no number; got {toml_repr(value)}")
        return MidiSource(kind, number, None if channel is None else int(channel))

    def format(self, value: MidiSource) -> str:
        return f'"{value}"'


class OscAddress(Kind):
    def describe(self) -> str:
        return 'an OSC address such as "/1/fader1"'

    def convert(self, value: Any, base: Path) -> str:
        if (
            not isinstance(value, str)
            or not re.fullmatch(r"/[!-~]*", value)
            or any(c in value for c in " #*?,[]{}")
        ):
            raise self.mismatch(value)
        return value


class Target(Kind):
    """A parameter name, or an action: "keyframe:next", "scene:calm", "seed:random", ..."""

    def describe(self) -> str:
        return (
            'a parameter name or an action like "keyframe:next", "scene:NAME", "seed:random", "learn:PARAM"'
        )

    def convert(self, value: Any, base: Path) -> str:
        if not isinstance(value, str):
            raise self.mismatch(value)
        action, _, argument = value.partition(":")
        if action not in ACTIONS:
            if argument or not _NAME.fullmatch(value):
                raise self.mismatch(value)
            return value
        choices = ACTIONS[action]
        if action == "scene" and (not argument or _SCENE_NAME.fullmatch(argument)):
            return value
        if action == "learn" and _NAME.fullmatch(argument):
            return value
        if choices is not None and argument in choices:
            return value
        if action in ("keyframe", "seed") and not argument:
            return value  # the plain parameter: the mapped value is the keyframe or seed
        raise ValueError(f"expected {self.describe()}, got {toml_repr(value)}")


class HostPort(Kind):
    def describe(self) -> str:
        return 'a "host:port" such as "127.0.0.1:9001"'

    def convert(self, value: Any, base: Path) -> tuple[str, int]:
        match = (
            re.fullmatch(r"\s*\[?([^\s\[\]]+?)\]?:(\d{1,5})\s*", value) if isinstance(value, str) else None
        )
        if not match or not 1 <= int(match.group(2)) <= 65535:
            raise self.mismatch(value)
        return match.group(1), int(match.group(2))

    def format(self, value: tuple[str, int]) -> str:
        return f'"{value[0]}:{value[1]}"'


class ValueTable(Kind):
    """An inline table of parameter values: { psi = 0.5, speed = 2, glow = true }."""

    def describe(self) -> str:
        return "a table of parameter = value (numbers, or true/false)"

    def convert(self, value: Any, base: Path) -> tuple[tuple[str, float | bool], ...]:
        if not isinstance(value, dict):
            raise self.mismatch(value)
        pairs = []
        for name, item in value.items():
            ok = isinstance(item, (bool, int, float)) and (isinstance(item, bool) or math.isfinite(item))
            if not _NAME.fullmatch(name) or not ok:
                raise ValueError(f"{name}: expected a number or true/false, got {toml_repr(item)}")
            pairs.append((name, item if isinstance(item, bool) else float(item)))
        return tuple(pairs)

    def format(self, value: tuple) -> str:
        return "{ " + ", ".join(f"{k} = {toml_repr(v)}" for k, v in value) + " }" if value else "{}"


@dataclass(frozen=True)
class OscSettings:
    enabled: bool = setting(True, Flag(), "listen for OSC messages")
    host: str = setting(
        "127.0.0.1",
        Address(),
        'address to listen on: "127.0.0.1" takes messages from this machine only; '
        'give the machine\'s LAN address or "0.0.0.0" to take them from the network',
    )
    port: int = setting(9000, Integer(0, 65535), "UDP port for OSC in (0 picks a free one, logged at start)")
    prefix: str = setting("/installation", OscAddress(), "first part of every address")
    query_port: int = setting(
        9001, Integer(-1, 65535), "HTTP port of the OSCQuery description (on the same host); -1 turns it off"
    )
    echo: tuple[tuple[str, int], ...] = setting(
        (), ListOf(HostPort()), "where value changes are sent, for TouchOSC / TouchDesigner to show them"
    )
    echo_rate: float = setting(20.0, Number(1, 200), "most echoes per second of one parameter")
    max_packet: int = setting(16384, Integer(512, 65507), "larger packets are dropped (bytes)")
    allow: tuple[Any, ...] = setting(
        (), ListOf(Network()), "sender networks whose packets are taken; empty takes any"
    )


@dataclass(frozen=True)
class MidiSettings:
    enabled: bool = setting(True, Flag(), "listen to MIDI controllers")
    api: str = setting(
        "auto",
        Choice(("auto", "alsa", "jack", "none")),
        "MIDI system; auto takes ALSA, else a running JACK server",
    )
    inputs: tuple[str, ...] = setting(
        ("",),
        ListOf(Text()),
        'input ports to open, by name (regular expression or plain text; "" is every port)',
    )
    outputs: tuple[str, ...] = setting(
        (), ListOf(Text()), "output ports that get parameter values back (motorised faders, LED rings)"
    )
    takeover: str = setting(
        "pickup",
        Choice(TAKEOVERS),
        "when a knob does not match the value: none jumps, pickup waits until "
        "the knob passes the value, scale moves the rest of the way in proportion",
    )
    clock: bool = setting(True, Flag(), "MIDI clock (24 per beat) sets the bpm parameter")
    learn_file: str = setting(
        "", Text(), "where MIDI learn saves its bindings (relative to the show; default SHOW.midi-learn.toml)"
    )


@dataclass(frozen=True)
class WebcamSettings:
    enabled: bool = setting(False, Flag(), "use a camera (off unless asked for: visitors' privacy)")
    source: int | str = setting(
        0,
        AnyOf((Integer(0, 63), Text())),
        "camera index, or a video file (relative to the show) or stream URL",
    )
    max_fps: float = setting(30.0, Number(1, 120), "most frames measured per second")
    faces: bool = setting(False, Flag(), "detect faces (Haar cascade; more CPU)")
    presence_on: float = setting(0.04, Number(0, 1), "foreground fraction above which someone is present")
    presence_off: float = setting(0.015, Number(0, 1), "foreground fraction below which they have left")
    presence_hold: float = setting(1.0, Number(0, 600), "seconds below presence_off before presence ends")
    release_seconds: float = setting(
        3.0,
        Number(0, 600),
        "when the camera is lost, its parameters ease back to their defaults over this time",
    )

    def __post_init__(self) -> None:
        if self.presence_off > self.presence_on:
            raise SchemaError(("presence_off",), "must not be above presence_on")


@dataclass(frozen=True)
class KeyboardSettings:
    enabled: bool = setting(True, Flag(), "key bindings from [[mappings]] with key = ...")
    step: float = setting(
        0.05, Number(0, 1), "default change per key press of a stepped parameter, in its range"
    )


@dataclass(frozen=True)
class AutopilotSettings:
    enabled: bool = setting(True, Flag(), "take over when nobody has touched anything for a while")
    idle_seconds: float = setting(300.0, Number(0.1, 86400), "seconds without input before it takes over")
    fade_seconds: float = setting(
        20.0, Number(0, 3600), "how long parameters take to ease back to their defaults"
    )
    scenes: tuple[str, ...] = setting((), ListOf(Text()), "scenes to cycle through while idle (in order)")
    scene_seconds: float = setting(120.0, Number(0.1, 86400), "time on each of those scenes")


@dataclass(frozen=True)
class MappingSettings:
    """One control bound to one target. Exactly one of midi, osc, webcam, key."""

    midi: MidiSource | None = setting(None, MidiSpec(), "the MIDI control")
    osc: str | None = setting(None, OscAddress(), "an OSC address of your own (e.g. a TouchOSC fader's)")
    webcam: str | None = setting(None, Choice(WEBCAM_FEATURES), "a webcam feature")
    key: str | None = setting(None, Text(), 'a key name: "space", "a", "1", "up", "f1", ...')
    to: str = setting("", Target(), "parameter or action it drives")
    in_min: float | None = setting(
        None, Number(), "input at which the output is out_min (default: the source's full range)"
    )
    in_max: float | None = setting(None, Number(), "input at which the output is out_max")
    out_min: float | None = setting(
        None, Number(), "lowest output, in the parameter's units (default: its min)"
    )
    out_max: float | None = setting(None, Number(), "highest output (default: the parameter's max)")
    curve: str = setting(
        "linear",
        Choice(CURVES),
        "exponential / log give fine control at the low / high end; toggle flips on "
        "each press; trigger fires on each press",
    )
    steepness: float = setting(8.0, Number(1.001, 1e6), "how strongly exponential and log bend")
    invert: bool = setting(False, Flag(), "turn the input range around")
    smoothing: float = setting(
        0.0, Number(0, 600), "seconds: glide towards each new value (for jittery sources)"
    )
    encoder: str = setting(
        "absolute",
        Choice(ENCODERS),
        "relative MIDI encoders send steps: two's complement, offset 64, or sign bit",
    )
    fine: bool = setting(False, Flag(), "14-bit CC: this cc (0-31) is the coarse half, cc+32 the fine")
    step: float | None = setting(
        None, Number(-1, 1), "relative change per encoder tick or key press, as a fraction of the range"
    )
    takeover: str = setting(
        "midi", Choice(("midi", *TAKEOVERS)), "soft takeover; midi: as [midi] takeover says"
    )
    feedback: bool = setting(True, Flag(), "send the value back to MIDI outputs on this control")

    def __post_init__(self) -> None:
        given = [s for s in SOURCES if getattr(self, s) is not None]
        if len(given) != 1:
            raise SchemaError(
                ("to",),
                "a mapping needs exactly one of midi, osc, webcam, key; got " + (", ".join(given) or "none"),
            )
        if not self.to:
            raise SchemaError(("to",), "a mapping needs a target: to = PARAMETER or an action")
        if self.fine and (self.midi is None or self.midi.kind != "cc" or self.midi.number > 31):
            raise SchemaError(("fine",), "fine (14-bit) needs a cc from 0 to 31")
        if self.encoder != "absolute" and (self.midi is None or self.midi.kind != "cc"):
            raise SchemaError(("encoder",), "relative encoders are MIDI cc controls")
        if (self.in_min is None) != (self.in_max is None) or (
            self.in_min is not None and self.in_min == self.in_max
        ):
            raise SchemaError(("in_max",), "give in_min and in_max together, and different")

    @property
    def source(self) -> str:
        return next(s for s in SOURCES if getattr(self, s) is not None)


@dataclass(frozen=True)
class SceneSettings:
    """A named set of parameter values, recalled by any controller with a crossfade."""

    name: str
    values: tuple[tuple[str, float | bool], ...] = setting((), ValueTable(), "parameter values of the scene")
    keyframe: int | None = setting(None, Integer(0), "keyframe to go to (optional)")
    crossfade: float = setting(2.0, Number(0, 3600), "seconds to fade from the current values")
