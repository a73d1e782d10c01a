"""Show-file sections of the control surfaces: `[osc]`, `[midi]`, `[webcam]`, `[audio]`, `[keyboard]`,
`[autopilot]`, `[[mappings]]` and `[scenes.NAME]`.

Declared with the schema mechanism of `installation.show.schema` (owned by the show package);
`installation.show.sections.Show` lists them. Names that refer to other sections (a mapping's
parameter, a scene named by a key) are checked against the whole show by
`installation.show.crosscheck`, as the loader reads it.
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
SOURCES = ("midi", "osc", "webcam", "audio", "key")
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
AUDIO_FEATURES = (
    "loudness",
    "onset",
    "onset_event",
    "beat",
    "beat_phase",
    "tempo",
    "confidence",
    "centroid",
    "chroma",
)
AUDIO_EVENTS = ("onset_event", "beat")  # features that happen at instants rather than last
CHROMA_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
AUDIO_INPUTS = ("jack", "portaudio", "file")
# Targets that are not parameters: what they do lives in installation.control.actions.
ACTIONS = {
    "keyframe": ("next", "previous", "random"),
    "seed": ("next", "previous", "random"),
    "scene": None,  # scene:NAME, scene:next, scene:previous; plain "scene" takes an index
    "learn": None,  # learn:PARAM arms MIDI learn for PARAM
    "autopilot": ("on", "off", "toggle"),
    "record": ("on", "off", "toggle"),  # recording the show to recordings/ (also the R key)
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


class AudioFeature(Kind):
    """A feature of the sound: a name of AUDIO_FEATURES, "band:NAME" (a band of [audio] bands)
    or "chroma:NOTE" (one pitch class, C to B, sharps as "#")."""

    def describe(self) -> str:
        return (
            "an audio feature: "
            + ", ".join(f'"{f}"' for f in AUDIO_FEATURES)
            + ', "band:NAME", "chroma:NOTE"'
        )

    def convert(self, value: Any, base: Path) -> str:
        if not isinstance(value, str):
            raise self.mismatch(value)
        kind, colon, argument = value.partition(":")
        if not colon and kind in AUDIO_FEATURES:
            return value
        if kind == "band" and _NAME.fullmatch(argument):
            return value
        if kind == "chroma" and argument in CHROMA_NAMES:
            return value
        raise self.mismatch(value)


class Bands(Kind):
    """Frequency bands by name: { low = [20, 250], mid = [250, 4000] } (Hz, low edge first)."""

    def describe(self) -> str:
        return "a table of NAME = [low Hz, high Hz]"

    def convert(self, value: Any, base: Path) -> tuple[tuple[str, float, float], ...]:
        if not isinstance(value, dict) or not value:
            raise self.mismatch(value)
        bands = []
        for name, edges in value.items():
            numbers = isinstance(edges, list) and len(edges) == 2
            numbers = numbers and all(isinstance(e, (int, float)) and not isinstance(e, bool) for e in edges)
            if not _NAME.fullmatch(name) or not numbers or not 0 <= edges[0] < edges[1]:
                raise ValueError(
                    f"{name}: expected [low Hz, high Hz] with low below high, got {toml_repr(edges)}"
                )
            bands.append((name, float(edges[0]), float(edges[1])))
        return tuple(bands)

    def format(self, value: tuple) -> str:
        return "{ " + ", ".join(f"{n} = [{lo:g}, {hi:g}]" for n, lo, hi in value) + " }"


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
class AudioSettings:
    enabled: bool = setting(
        False, Flag(), "listen to sound and offer its features to [[mappings]] audio = ..."
    )
    input: str = setting(
        "jack",
        Choice(AUDIO_INPUTS),
        "jack: a JACK input port; portaudio: a sound card (ALSA, PulseAudio, PipeWire); "
        "file: play `file` as if it came in (rehearsals)",
    )
    connect: tuple[str, ...] = setting(
        ("system:capture_1",),
        ListOf(Text()),
        "JACK: output ports to connect to our input, by name (regular expressions); "
        "ports that appear later are connected too",
    )
    device: int | str = setting(
        "",
        AnyOf((Integer(0, 1023), Text())),
        'PortAudio: a device index or (part of) its name, "" for the default input; see run.py audio list',
    )
    file: str = setting("", Text(), "input = file: a WAV, FLAC or MP3 file (relative to the show), looped")
    sample_rate: int = setting(48000, Integer(8000, 192000), "PortAudio: sample rate asked of the device")
    block: int = setting(
        512, Integer(64, 8192), "samples per analysis block (512 at 48 kHz: about 94 blocks a second)"
    )
    fft: int = setting(
        2048,
        Integer(256, 32768),
        "samples read for bands, centroid and chroma (more: finer in pitch, slower)",
    )
    bands: tuple[tuple[str, float, float], ...] = setting(
        (("low", 20.0, 250.0), ("mid", 250.0, 4000.0), ("high", 4000.0, 16000.0)),
        Bands(),
        'frequency bands offered as "band:NAME"',
    )
    adapt_seconds: float = setting(
        10.0, Number(0.5, 3600), "how fast levels adapt to a quieter or louder room (seconds)"
    )
    tempo: bool = setting(True, Flag(), "the beat tracker writes the bpm parameter")
    tempo_min: float = setting(60.0, Number(20, 300), "slowest tempo the beat tracker considers (BPM)")
    tempo_max: float = setting(180.0, Number(20, 300), "fastest tempo it considers (BPM)")
    tempo_confidence: float = setting(
        0.3, Number(0, 1), "the tracker writes bpm only when at least this sure of the tempo"
    )
    tempo_yield: float = setting(
        10.0,
        Number(0, 3600),
        "seconds the tracker leaves bpm alone after MIDI clock, OSC or anything else wrote it",
    )
    release_seconds: float = setting(
        1.0,
        Number(0, 600),
        "when the input is lost, its parameters ease back to their defaults over this time",
    )

    def __post_init__(self) -> None:
        if self.tempo_min >= self.tempo_max:
            raise SchemaError(("tempo_max",), "must be above tempo_min")
        if self.input == "file" and not self.file:
            raise SchemaError(("file",), "input = file needs a file to play")


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
    """One control bound to one target. Exactly one of midi, osc, webcam, audio, key."""

    midi: MidiSource | None = setting(None, MidiSpec(), "the MIDI control")
    osc: str | None = setting(None, OscAddress(), "an OSC address of your own (e.g. a TouchOSC fader's)")
    webcam: str | None = setting(None, Choice(WEBCAM_FEATURES), "a webcam feature")
    audio: str | None = setting(None, AudioFeature(), 'an audio feature: "onset", "band:low", "beat", ...')
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
    attack: float = setting(0.01, Number(0, 60), "audio: seconds the envelope takes to rise (about 63%)")
    release: float = setting(0.25, Number(0, 60), "audio: seconds the envelope takes to fall (about 63%)")
    gate: float = setting(
        0.0, Number(0, 0.99), "audio: levels below this count as silence (the rest spreads over 0..1)"
    )
    every: int = setting(1, Integer(1, 1024), 'audio = "beat" or "onset_event": act on every Nth one')

    def __post_init__(self) -> None:
        given = [s for s in SOURCES if getattr(self, s) is not None]
        if len(given) != 1:
            raise SchemaError(
                ("to",),
                "a mapping needs exactly one of midi, osc, webcam, audio, key; got "
                + (", ".join(given) or "none"),
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
