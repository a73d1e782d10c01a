"""All control surfaces of a running show, started and stopped together: the live loop's one
handle on OSC, OSCQuery, MIDI, the webcam, the keyboard and the autopilot.

    surfaces = ControlSurfaces(show, bus, z_dim=space.z_dim)
    surfaces.start()                 # UserError if e.g. the OSC port is taken
    presenter.key_handlers.append(surfaces.on_key_event)  # or on_key("space") with key names
    ...each frame: z, count = surfaces.latent.get(); hud.update(surfaces.hud())
    surfaces.reconfigure(new_show)   # after bus.reconfigure(new_show.parameters), on hot reload
    surfaces.stop()

Everything runs in its own threads (OSC receive, OSCQuery HTTP, MIDI port poll and rtmidi's
callbacks, webcam capture, one control ticker for fades, echoes, feedback and the autopilot);
the render loop only reads the bus.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from installation.control.audio_control import AudioControl
from installation.control.autopilot import Autopilot
from installation.control.controls import Controls
from installation.control.drops import Drops
from installation.control.keyboard import Keyboard
from installation.control.latent import LatentOverride
from installation.control.mappings import Mapping, is_action
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
from installation.control.validate import check_show, check_target
from installation.control.webcam_control import WebcamControl
from installation.params.bus import ParameterBus
from installation.params.spec import ParamSpec
from installation.show.control_sections import MappingSettings
from installation.show.sections import Show

log = logging.getLogger(__name__)


def keyframe_count(show: Show) -> int:
    return len(show.motion.keyframes)


class ControlSurfaces:
    """`z_dim`: length of the model's z (for /latent). `keyframe_now`: which keyframe motion is
    at (for keyframe:next); `midi_api`: a fixed MIDI system instead of choosing one (tests)."""

    def __init__(
        self,
        show: Show,
        bus: ParameterBus,
        *,
        z_dim: int = 512,
        keyframe_now: Callable[[], int] | None = None,
        midi_api: MidiApi | None = None,
    ) -> None:
        check_show(show)
        self.show = show
        self.drops = Drops(log)
        self.controls = Controls(
            bus,
            SceneBook(show.scenes),
            keyframe_count=keyframe_count(show),
            z_dim=z_dim,
            keyframe_now=keyframe_now,
        )
        self.controls.on_learn = self.learn
        self.ticker = Ticker()
        self.ticker.every(self.controls.fader.tick)
        self.ticker.every(self._tick)
        self._midi_api = midi_api
        self.osc: OscServer | None = None
        self.query: OscQueryServer | None = None
        self.midi: MidiPorts | None = None
        self.webcam: WebcamControl | None = None
        self.audio: AudioControl | None = None
        self.midi_learn: MidiLearn | None = None
        self.midi_clock = MidiClock(self.controls)
        self._router: MidiRouter | None = None
        self._build(show)
        self._started = False

    @property
    def latent(self) -> LatentOverride:
        return self.controls.latent

    # --- life cycle ------------------------------------------------------------------------

    def start(self) -> None:
        self.ticker.start()
        self._started = True
        try:
            self._start_transports(self.show, None)
        except Exception:
            self.stop()
            raise

    def stop(self) -> None:
        self._started = False
        for part in (self.audio, self.webcam, self.midi, self.query, self.osc):
            if part is not None:
                part.stop()
        self.audio = self.webcam = self.midi = self.query = self.osc = None
        self.ticker.stop()

    def reconfigure(self, show: Show) -> None:
        """Follow a reloaded show (call after the bus took its parameters). Transports whose
        settings did not change keep running; mappings, scenes and the rest are rebuilt."""
        check_show(show)
        old, self.show = self.show, show
        self.controls.scenes = SceneBook(show.scenes)
        self.controls.keyframe_count = max(keyframe_count(show), 1)
        self.controls.forget()
        self._build(show)
        if self._started:
            self._start_transports(show, old)

    def _start_transports(self, show: Show, old: Show | None) -> None:
        if old is None or show.osc != old.osc:
            self._restart_osc(show)
        if old is None or show.midi != old.midi:
            if self.midi is not None:
                self.midi.stop()
                self.midi = None
            if show.midi.enabled:
                api = self._midi_api or choose_api(show.midi.api)
                self.midi = MidiPorts(
                    api, show.midi.inputs, show.midi.outputs, self._midi_message, self.drops
                )
                self.midi.start()
        if self.webcam is not None:
            self.webcam.mappings = self._webcam_mappings
        if old is None or show.webcam != old.webcam:
            if self.webcam is not None:
                self.webcam.stop()
                self.webcam = None
            if show.webcam.enabled:
                self.webcam = WebcamControl(
                    show.webcam, show.path.parent, self._webcam_mappings, self.controls
                )
                self.webcam.start()
        self._start_audio(show, old)

    def _start_audio(self, show: Show, old: Show | None) -> None:
        if self.audio is not None:
            self.audio.mappings = self._audio_mappings
        if old is None or show.audio != old.audio:
            if self.audio is not None:
                self.audio.stop()
                self.audio = None
            if show.audio.enabled:
                self.audio = AudioControl(show.audio, show.path.parent, self._audio_mappings, self.controls)
                self.audio.start()

    def _restart_osc(self, show: Show) -> None:
        for part in (self.query, self.osc):
            if part is not None:
                part.stop()
        self.osc = self.query = None
        settings = show.osc
        if not settings.enabled:
            return
        self.osc = OscServer(
            settings.host,
            settings.port,
            self._osc_message,
            self.drops,
            defer=self.ticker.call_later,
            max_packet=settings.max_packet,
        )
        self.osc.start()
        if settings.query_port >= 0:
            self.query = OscQueryServer(
                settings.host,
                settings.query_port,
                lambda: self._api.nodes,
                self.controls.values,
                self._host_info,
            )
            self.query.start()

    # --- mappings --------------------------------------------------------------------------

    def _build(self, show: Show) -> None:
        """(Re)bind every mapping to the current parameters, and the parts that use them."""
        path = learn_path(show.path, show.midi.learn_file)
        if self.midi_learn is None or self.midi_learn.path != path:
            self.midi_learn = MidiLearn(
                path,
                show.info.name,
                acts_on_press=self._acts_on_press,
                on_learnt=lambda _b: self._build(self.show),
            )
        learnt = list(self.midi_learn.bindings)
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
        c = self.controls
        self._api = OscApi(
            show.osc.prefix,
            c,
            self.drops,
            status=self._status,
            learn=self.learn,
            autopilot=lambda: self.autopilot.engaged,
        )
        self._api.rebuild(by_source["osc"])
        self._echo = OscEcho(lambda: self._api.nodes, c, self._send_osc, show.osc.echo, show.osc.echo_rate)
        self._router = MidiRouter(
            by_source["midi"],
            c,
            self.drops,
            learn=self.midi_learn,
            clock=self.midi_clock if show.midi.clock else None,
        )
        self._feedback = MidiFeedback(
            by_source["midi"], c, self._send_midi, lambda: self.midi.connects if self.midi else 0
        )
        self._webcam_mappings = by_source["webcam"]
        self._audio_mappings = by_source["audio"]
        self.keyboard = Keyboard(by_source["key"] if show.keyboard.enabled else [], c, show.keyboard.step)
        # Sensors keep what they drive; the autopilot eases the rest.
        keep = {m.target for m in self._webcam_mappings} | ({"bpm"} if show.midi.clock else set())
        keep |= {m.target for m in self._audio_mappings} | ({"bpm"} if show.audio.tempo else set())
        self.autopilot = Autopilot(show.autopilot, c, keep)

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

    # --- entry points ----------------------------------------------------------------------

    def on_key(self, name: str) -> bool:
        """The display's key callback: True when the key is bound here."""
        return self.keyboard.on_key(name)

    def on_key_event(self, event: object) -> None:
        """For `Presenter.key_handlers`: pygame key events; presses go to `on_key`."""
        import pygame

        if getattr(event, "type", None) == pygame.KEYDOWN:
            self.on_key(pygame.key.name(event.key))

    def recall_scene(self, name: str | int, source: str = "schedule", crossfade: float | None = None) -> bool:
        """Recall a scene (the gallery schedule's playlist uses this)."""
        return self.controls.recall_scene(name, source, crossfade)

    def learn(self, target: str) -> bool:
        """Arm MIDI learn for `target` ("" cancels)."""
        return self.midi_learn is not None and self.midi_learn.arm(target)

    def hud(self) -> dict[str, Any]:
        """A small dict for the HUD's debug view: surfaces, scene, autopilot, webcam features."""
        c = self.controls
        info: dict[str, Any] = {
            "osc": f"{self.osc.address[0]}:{self.osc.address[1]}" if self.osc else "off",
            "midi": (f"{self.midi.api.label}: " + (", ".join(self.midi.open_inputs) or "no inputs"))
            if self.midi
            else "off",
            "scene": c.scenes.current_name or "-",
            "autopilot": "on" if self.autopilot.engaged else f"idle {c.idle_seconds():.0f} s",
            "dropped": self.drops.total(),
        }
        if self.midi_learn is not None and self.midi_learn.armed:
            info["learn"] = self.midi_learn.armed
        if self.midi_clock.bpm is not None:
            info["midi clock"] = self.midi_clock.bpm
        if self.webcam is not None:
            info.update(self.webcam.hud())
        if self.audio is not None:
            info.update(self.audio.hud())
        return info

    # --- plumbing --------------------------------------------------------------------------

    def _osc_message(self, address: str, args: tuple, sender: Sender) -> None:
        self._api.dispatch(address, args, sender)

    def _midi_message(self, port: str, data: list[int], t: float) -> None:
        router = self._router
        if router is not None:
            router.handle(port, data, t)

    def _send_osc(self, data: bytes, destination: Sender) -> None:
        if self.osc is not None:
            self.osc.send(data, destination)

    def _send_midi(self, data: list[int]) -> None:
        if self.midi is not None:
            self.midi.send(data)

    def _tick(self, now: float) -> None:
        self.autopilot.tick(now)
        self._echo.tick(now)
        self._feedback.tick(now)

    def _status(self, sender: Sender) -> None:
        c = self.controls
        self._send_osc(
            encode(
                f"{self._api.prefix}/status",
                [
                    self.show.info.name,
                    c.scenes.current_name,
                    int(self.autopilot.engaged),
                    float(round(c.idle_seconds(), 3)),
                    int(self.drops.total()),
                    len(self.midi.open_inputs) if self.midi else 0,
                ],
            ),
            sender,
        )
        self._echo.dump(sender)

    def _host_info(self) -> dict[str, Any]:
        host, port = self.osc.address if self.osc else ("", 0)
        return {
            "NAME": self.show.info.name,
            "OSC_IP": host,
            "OSC_PORT": port,
            "OSC_TRANSPORT": "UDP",
            "EXTENSIONS": EXTENSIONS,
        }
