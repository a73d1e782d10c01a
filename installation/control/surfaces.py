"""All control surfaces of a running show, started and stopped together: the live loop's one
handle on OSC, OSCQuery, MIDI, the webcam, audio, the keyboard and the autopilot.

    surfaces = ControlSurfaces(show, bus)
    surfaces.start()                 # a surface that cannot open (a port taken) is off, see hud()
    presenter.key_handlers.append(surfaces.on_key_event)  # or on_key("space") with key names
    ...hud.update(surfaces.hud())
    surfaces.reconfigure(new_show)   # after bus.reconfigure(new_show.parameters), on hot reload
    surfaces.stop()

Everything runs in its own threads (OSC receive, OSCQuery HTTP, MIDI port poll and rtmidi's
callbacks, webcam capture, audio analysis, one control ticker for fades, echoes, feedback and the autopilot);
the render loop only reads the bus. What the show's mappings bind is one immutable `Bindings`,
built completely and then swapped in with one assignment (on reload and on MIDI learn), so
those threads see either the old bindings or the new ones, never a mix.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from installation.control.audio_control import AudioControl
from installation.control.autopilot import Autopilot
from installation.control.controls import Controls
from installation.control.drops import Drops
from installation.control.keyboard import Keyboard
from installation.control.mappings import Mapping
from installation.control.midi_api import MidiApi, choose_api
from installation.control.midi_clock import MidiClock
from installation.control.midi_feedback import MidiFeedback
from installation.control.midi_learn import MidiLearn, learn_path, same_control
from installation.control.midi_map import MidiRouter
from installation.control.midi_ports import MidiPorts
from installation.control.osc_api import OscApi
from installation.control.osc_echo import OscEcho, encode
from installation.control.osc_query import EXTENSIONS, OscQueryServer
from installation.control.osc_server import OscServer, Sender
from installation.control.scenes import SceneBook
from installation.control.ticker import Ticker
from installation.control.webcam_control import WebcamControl
from installation.errors import describe_failure
from installation.params.bus import ParameterBus
from installation.params.spec import ParamSpec, Value
from installation.show.control_sections import MappingSettings
from installation.show.crosscheck import check_target, is_action
from installation.show.sections import Show

log = logging.getLogger(__name__)


def keyframe_count(show: Show) -> int:
    return len(show.motion.keyframes)


@dataclass(frozen=True)
class Bindings:
    """What one show's mappings (and MIDI-learnt bindings) are bound to, built whole."""

    show: Show
    scenes: SceneBook
    learn: MidiLearn
    api: OscApi
    echo: OscEcho
    router: MidiRouter
    feedback: MidiFeedback
    webcam_mappings: tuple[Mapping, ...]
    audio_mappings: tuple[Mapping, ...]
    keyboard: Keyboard
    autopilot: Autopilot


class ControlSurfaces:
    """`midi_api`: a fixed MIDI system instead of choosing one (tests). `on_record` takes the
    record actions (record:on/off/toggle, OSC /record): recording is an output of the running
    show, not a parameter, so it is the one action handed back to it."""

    def __init__(
        self,
        show: Show,
        bus: ParameterBus,
        *,
        midi_api: MidiApi | None = None,
        on_record: Callable[[str], None] | None = None,
    ) -> None:
        self.drops = Drops(log)
        self.controls = Controls(bus, on_action=self._action)
        self.on_record = on_record
        self.ticker = Ticker()
        self.ticker.every(self.controls.fader.tick)
        self.ticker.every(self._tick)
        self.midi_clock = MidiClock(self.controls)
        self.osc: OscServer | None = None
        self.query: OscQueryServer | None = None
        self.midi: MidiPorts | None = None
        self.webcam: WebcamControl | None = None
        self.audio: AudioControl | None = None
        self._midi_api = midi_api
        self._off: dict[str, str] = {}  # surface -> why it could not open
        self._started = False
        self._rebuilding = threading.Lock()  # one rebuild at a time (reload, MIDI learn)
        self._bindings = self._build(show, None)

    @property
    def show(self) -> Show:
        return self._bindings.show

    @property
    def bindings(self) -> Bindings:
        return self._bindings

    # --- life cycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Start the ticker and every enabled surface. One that cannot open (a port taken, no
        camera) stays off and says why in `hud()`; the others run."""
        self.ticker.start()
        self._started = True
        self._start_transports(self.show, None)

    def stop(self) -> None:
        self._started = False
        for part in (self.audio, self.webcam, self.midi, self.query, self.osc):
            if part is not None:
                part.stop()
        self.audio = self.webcam = self.midi = self.query = self.osc = None
        self.ticker.stop()

    def reconfigure(self, show: Show) -> None:
        """Follow a reloaded show (call after the bus took its parameters). Transports whose
        settings did not change keep running; the bindings are rebuilt and swapped in."""
        old = self.show
        self.controls.forget()
        with self._rebuilding:
            self._bindings = self._build(show, self._bindings.learn)
        if self._started:
            self._start_transports(show, old)

    def _relearn(self) -> None:
        """A MIDI control was just learnt: bind it, with everything else as it is."""
        with self._rebuilding:
            self._bindings = self._build(self._bindings.show, self._bindings.learn)

    def _start_transports(self, show: Show, old: Show | None) -> None:
        if old is None or show.osc != old.osc:
            self._restart_osc(show)
        if old is None or show.midi != old.midi:
            if self.midi is not None:
                self.midi.stop()
                self.midi = None
            if show.midi.enabled:
                self.midi = self._open("midi", lambda: self._start_midi(show))
        if old is None or show.webcam != old.webcam:
            if self.webcam is not None:
                self.webcam.stop()
                self.webcam = None
            if show.webcam.enabled:
                self.webcam = self._open("webcam", lambda: self._start_webcam(show))
        if old is None or show.audio != old.audio:
            if self.audio is not None:
                self.audio.stop()
                self.audio = None
            if show.audio.enabled:
                self.audio = self._open("audio", lambda: self._start_audio(show))

    def _open(self, surface: str, start: Callable[[], Any]) -> Any:
        """`start()`'s running part, or None with the reason kept for hud() when it fails."""
        try:
            part = start()
        except Exception as error:  # noqa: BLE001 - one surface failing leaves the others on
            self._off[surface] = describe_failure(error, log)
            log.warning("%s off: %s", surface, self._off[surface])
            return None
        self._off.pop(surface, None)
        return part

    def _start_midi(self, show: Show) -> MidiPorts:
        api = self._midi_api or choose_api(show.midi.api)
        midi = MidiPorts(api, show.midi.inputs, show.midi.outputs, self._midi_message, self.drops)
        midi.start()
        return midi

    def _start_webcam(self, show: Show) -> WebcamControl:
        webcam = WebcamControl(
            show.webcam, show.path.parent, lambda: self._bindings.webcam_mappings, self.controls
        )
        webcam.start()
        return webcam

    def _start_audio(self, show: Show) -> AudioControl:
        audio = AudioControl(
            show.audio, show.path.parent, lambda: self._bindings.audio_mappings, self.controls
        )
        audio.start()
        return audio

    def _restart_osc(self, show: Show) -> None:
        for part in (self.query, self.osc):
            if part is not None:
                part.stop()
        self.osc = self.query = None
        for surface in ("osc", "oscquery"):
            self._off.pop(surface, None)
        settings = show.osc
        if not settings.enabled:
            return
        self.osc = self._open("osc", lambda: self._start_osc(show))
        if self.osc is not None and settings.query_port >= 0:
            self.query = self._open("oscquery", self._start_query)

    def _start_osc(self, show: Show) -> OscServer:
        settings = show.osc
        osc = OscServer(
            settings.host,
            settings.port,
            self._osc_message,
            self.drops,
            defer=self.ticker.call_later,
            max_packet=settings.max_packet,
            allow=settings.allow,
        )
        osc.start()
        return osc

    def _start_query(self) -> OscQueryServer:
        settings = self.show.osc
        query = OscQueryServer(
            settings.host,
            settings.query_port,
            lambda: self._bindings.api.nodes,
            self.controls.values,
            self._host_info,
        )
        query.start()
        return query

    # --- mappings --------------------------------------------------------------------------

    def _build(self, show: Show, learn: MidiLearn | None) -> Bindings:
        """Bind every mapping of `show` to the bus's current parameters, and the parts that use
        them; nothing here is in use until the caller swaps the result in."""
        path = learn_path(show.path, show.midi.learn_file)
        if learn is None or learn.path != path:
            learn = MidiLearn(
                path, show.info.name, acts_on_press=self._acts_on_press, on_learnt=lambda _b: self._relearn()
            )
        learnt = list(learn.bindings)
        shown = [
            m
            for m in show.mappings
            if m.midi is None or not any(same_control(m.midi, b.midi) for b in learnt)
        ]
        mappings = [self._mapping(s, show) for s in shown + learnt]
        mappings = [m for m in mappings if m is not None]
        by_source: dict[str, list[Mapping]] = {"midi": [], "osc": [], "webcam": [], "audio": [], "key": []}
        for m in mappings:
            by_source[m.settings.source].append(m)
        c, scenes = self.controls, SceneBook(show.scenes)
        # The autopilot is made first so the API's view of it is this build's, not the last one's.
        keep = {m.target for m in by_source["webcam"]} | ({"bpm"} if show.midi.clock else set())
        keep |= {m.target for m in by_source["audio"]} | ({"bpm"} if show.audio.tempo else set())
        autopilot = Autopilot(show.autopilot, c, keep, scenes)  # sensors keep what they drive
        api = OscApi(
            show.osc.prefix,
            c,
            self.drops,
            scenes=scenes,
            keyframe_count=keyframe_count(show),
            status=self._status,
            learn=self.learn,
            autopilot=lambda: autopilot.engaged,
        )
        api.rebuild(by_source["osc"])
        return Bindings(
            show=show,
            scenes=scenes,
            learn=learn,
            api=api,
            echo=OscEcho(lambda: api.nodes, c, self._send_osc, show.osc.echo, show.osc.echo_rate),
            router=MidiRouter(
                by_source["midi"],
                c,
                self.drops,
                learn=learn,
                clock=self.midi_clock if show.midi.clock else None,
            ),
            feedback=MidiFeedback(
                by_source["midi"], c, self._send_midi, lambda: self.midi.connects if self.midi else 0
            ),
            webcam_mappings=tuple(by_source["webcam"]),
            audio_mappings=tuple(by_source["audio"]),
            keyboard=Keyboard(by_source["key"] if show.keyboard.enabled else [], c, show.keyboard.step),
            autopilot=autopilot,
        )

    def _mapping(self, settings: MappingSettings, show: Show) -> Mapping | None:
        problem = check_target(show, settings.to)
        if problem:  # only learnt bindings get here with a problem: the show itself was checked
            log.warning("MIDI learn binding %s ignored: %s", settings.midi, problem)
            return None
        spec = self.controls.spec(settings.to)
        if settings.to == "scene":  # an index: range over the scenes there are
            spec = ParamSpec("scene", type="int", min=0, max=max(len(show.scenes) - 1, 1))
        elif spec is None and not is_action(settings.to):
            return None  # the bus has not taken this show's parameters yet (see reconfigure)
        takeover = show.midi.takeover if settings.source == "midi" else "none"
        return Mapping(settings, spec, takeover)

    def _acts_on_press(self, target: str) -> bool | None:
        """For MIDI learn: None if `target` is unknown, else whether it acts on a press."""
        if check_target(self.show, target) is not None:
            return None
        spec = self.controls.spec(target)
        return (is_action(target) and target != "scene") or (spec is not None and spec.type == "trigger")

    def _action(self, kind: str, argument: str, _value: Value | None, source: str) -> bool:
        """The actions that are the surfaces' own (Controls' on_action)."""
        bindings = self._bindings
        if kind == "scene":
            return self.controls.recall_scene(bindings.scenes, argument, source)
        if kind == "learn":
            return self.learn(argument)
        if kind == "autopilot":
            bindings.autopilot.command(argument)
            return True
        if kind == "record" and self.on_record is not None:  # the live show's (see live.py)
            self.on_record(argument or "toggle")
            return True
        return False

    # --- entry points ----------------------------------------------------------------------

    def on_key(self, name: str) -> bool:
        """The display's key callback: True when the key is bound here."""
        return self._bindings.keyboard.on_key(name)

    def on_key_event(self, event: object) -> None:
        """For `Presenter.key_handlers`: pygame key events; presses go to `on_key`."""
        import pygame

        if getattr(event, "type", None) == pygame.KEYDOWN:
            self.on_key(pygame.key.name(event.key))

    def recall_scene(self, name: str | int, source: str = "schedule", crossfade: float | None = None) -> bool:
        """Recall a scene (the gallery schedule's playlist uses this)."""
        return self.controls.recall_scene(self._bindings.scenes, name, source, crossfade)

    def learn(self, target: str) -> bool:
        """Arm MIDI learn for `target` ("" cancels)."""
        return self._bindings.learn.arm(target)

    def hud(self) -> dict[str, Any]:
        """A small dict for the HUD's debug view and /health: each surface's state ("off: why"
        for one that could not open), scene, autopilot, webcam features."""
        c, bindings = self.controls, self._bindings
        osc, midi = self.osc, self.midi
        info: dict[str, Any] = {
            "osc": f"{osc.address[0]}:{osc.address[1]}" if osc else self._state_off("osc"),
            "midi": (f"{midi.api.label}: " + (", ".join(midi.open_inputs) or "no inputs"))
            if midi
            else self._state_off("midi"),
            "scene": c.scene_name or "-",
            "autopilot": "on" if bindings.autopilot.engaged else f"idle {c.idle_seconds():.0f} s",
            "dropped": self.drops.total(),
        }
        for surface in ("oscquery", "webcam", "audio"):
            if surface in self._off:
                info[surface] = self._state_off(surface)
        if bindings.learn.armed:
            info["learn"] = bindings.learn.armed
        if self.midi_clock.bpm is not None:
            info["midi clock"] = self.midi_clock.bpm
        webcam = self.webcam
        if webcam is not None:
            info.update(webcam.hud())
        audio = self.audio
        if audio is not None:
            info.update(audio.hud())
        return info

    def _state_off(self, surface: str) -> str:
        why = self._off.get(surface)
        return f"off: {why}" if why else "off"

    # --- plumbing --------------------------------------------------------------------------

    def _osc_message(self, address: str, args: tuple, sender: Sender) -> None:
        self._bindings.api.dispatch(address, args, sender)

    def _midi_message(self, port: str, data: list[int], t: float) -> None:
        self._bindings.router.handle(port, data, t)

    def _send_osc(self, data: bytes, destination: Sender) -> None:
        osc = self.osc
        if osc is not None:
            osc.send(data, destination)

    def _send_midi(self, data: list[int]) -> None:
        midi = self.midi
        if midi is not None:
            midi.send(data)

    def _tick(self, now: float) -> None:
        bindings = self._bindings  # once: a rebuild may swap them meanwhile
        bindings.autopilot.tick(now)
        bindings.echo.tick(now)
        bindings.feedback.tick(now)

    def _status(self, sender: Sender) -> None:
        c, bindings = self.controls, self._bindings
        self._send_osc(
            encode(
                f"{bindings.api.prefix}/status",
                [
                    bindings.show.info.name,
                    c.scene_name,
                    int(bindings.autopilot.engaged),
                    float(round(c.idle_seconds(), 3)),
                    int(self.drops.total()),
                    len(self.midi.open_inputs) if self.midi else 0,
                ],
            ),
            sender,
        )
        bindings.echo.dump(sender)

    def _host_info(self) -> dict[str, Any]:
        osc = self.osc
        host, port = osc.address if osc else ("", 0)
        return {
            "NAME": self.show.info.name,
            "OSC_IP": host,
            "OSC_PORT": port,
            "OSC_TRANSPORT": "UDP",
            "EXTENSIONS": EXTENSIONS,
        }
