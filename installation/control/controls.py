"""The one place every control surface writes through: parameters, fades, scenes, actions.

Surfaces (OSC, MIDI, webcam, keyboard, autopilot, the gallery schedule) call `Controls`; it
writes the parameter bus and remembers, per parameter, who wrote last and what. That record is
what soft takeover, MIDI feedback and the autopilot need, and it lets a person's direct write
cancel a fade on the same parameter. It also keeps the time of the last input from a person;
sensors and machines (`AMBIENT_SOURCES`) do not count, so a webcam seeing a flickering light or
a sequencer's clock never keeps the autopilot away.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable

from installation.control.fades import Fader
from installation.control.scenes import SceneBook
from installation.params.bus import ParameterBus
from installation.params.spec import ParamSpec, Value

log = logging.getLogger(__name__)

AMBIENT_SOURCES = frozenset({"webcam", "audio", "midi-clock", "scene", "autopilot", "schedule", "show"})
# Sources of the surfaces here, which report a person's input themselves (note_input).
SURFACE_SOURCES = frozenset({"osc", "midi", "key"})
STEPS = {"next": 1, "previous": -1}  # keyframe:next / previous, relative to where motion is


class Controls:
    """Writes to `bus` on behalf of the surfaces. `on_action(kind, argument, value, source)` runs
    the actions that belong to the surfaces ("scene", "learn", "autopilot"); keyframe and seed
    actions are bus writes made here."""

    def __init__(
        self,
        bus: ParameterBus,
        *,
        on_action: Callable[[str, str, Value | None, str], bool] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.bus = bus
        self.fader = Fader(self._faded)
        self.clock = clock
        self._on_action = on_action
        self._lock = threading.Lock()
        self._written: dict[str, tuple[str, float]] = {}  # name -> (writer, value)
        self._scene = ""  # the scene recalled last
        self._last_input = clock()  # counting from start: the autopilot waits a full idle time
        self._last_input_source = "start"
        self._bus_input_seen = bus.last_input_time
        self._random = random.Random()

    # --- what is there ---------------------------------------------------------------------

    def spec(self, name: str) -> ParamSpec | None:
        return self.bus.specs.get(name)

    def current(self, name: str) -> float:
        """The value last written to `name` (its target, not the smoothed value on screen)."""
        with self._lock:
            written = self._written.get(name)
        if written is not None:
            return written[1]
        value = self.bus.snapshot().get(name)
        return 0.0 if value is None else float(value)

    def values(self) -> dict[str, float]:
        """Every parameter's current value as `current` gives it, from one snapshot."""
        values = {name: float(v) for name, v in self.bus.snapshot().values.items()}
        with self._lock:
            values.update((name, value) for name, (_, value) in self._written.items() if name in values)
        return values

    def last_writer(self, name: str) -> str | None:
        with self._lock:
            written = self._written.get(name)
        return None if written is None else written[0]

    # --- writing ---------------------------------------------------------------------------

    def write(self, name: str, value: float, source: str, writer: str) -> bool:
        """Set a parameter now (ending any fade on it)."""
        self.fader.cancel(name)
        return self._store(name, value, source, writer)

    def glide(self, name: str, value: float, seconds: float, source: str, writer: str) -> None:
        """Head for `value` exponentially with time constant `seconds` (a mapping's smoothing)."""
        self.fader.fade(
            name,
            self.current(name),
            value,
            seconds,
            self.clock(),
            shape="glide",
            source=source,
            writer=writer,
        )

    def fade(
        self, name: str, value: float, seconds: float, t: float | None = None, *, source: str, writer: str
    ) -> None:
        """Move linearly to `value` over `seconds` (scenes, the autopilot)."""
        self.fader.fade(
            name,
            self.current(name),
            value,
            seconds,
            self.clock() if t is None else t,
            source=source,
            writer=writer,
        )

    def fire(self, name: str, source: str, writer: str) -> bool:
        self.fader.cancel(name)
        taken = self.bus.trigger(name, source)
        if taken:
            with self._lock:
                self._written[name] = (writer, 1.0)
        return taken

    def _faded(self, name: str, value: float, source: str, writer: str) -> None:
        self._store(name, value, source, writer)

    def _store(self, name: str, value: float, source: str, writer: str) -> bool:
        spec = self.spec(name)
        clean = None if spec is None else spec.clamp(value)
        if clean is None or not self.bus.set(name, clean, source):
            return False
        with self._lock:
            self._written[name] = (writer, float(clean))
        return True

    def forget(self) -> None:
        """Drop the write records and the scene recalled last (after a show reload: ranges,
        parameters and scenes may have changed)."""
        with self._lock:
            self._written.clear()
            self._scene = ""

    # --- people ----------------------------------------------------------------------------

    def note_input(self, source: str) -> None:
        """A person did something through `source` (a surface calls this for accepted input)."""
        if source in AMBIENT_SOURCES:
            return
        now = self.clock()
        with self._lock:
            self._last_input, self._last_input_source = now, source

    def idle_seconds(self, now: float | None = None) -> float:
        """Seconds since a person last did something, through us or through the bus directly
        (the display's own keys write it). The bus may stamp writes on another clock (the show's,
        which pauses), so a new input there is noticed here, on our clock, when it changes."""
        now = self.clock() if now is None else now
        bus_last, bus_source = self.bus.last_input_time, self.bus.last_input_source
        with self._lock:
            if bus_last != self._bus_input_seen:
                self._bus_input_seen = bus_last
                if bus_source not in AMBIENT_SOURCES and bus_source not in SURFACE_SOURCES:
                    self._last_input, self._last_input_source = now, bus_source or "bus"
            return max(0.0, now - self._last_input)

    @property
    def last_input_source(self) -> str:
        with self._lock:
            return self._last_input_source

    # --- actions ---------------------------------------------------------------------------

    @property
    def scene_name(self) -> str:
        """The scene recalled last ("" for none since start or reload)."""
        with self._lock:
            return self._scene

    def recall_scene(
        self, book: SceneBook, ref: str | int | float, source: str = "scene", crossfade: float | None = None
    ) -> bool:
        """Recall a scene of `book` by name, index, "next" or "previous" (from the one recalled
        last); False if there is no such scene."""
        index = book.find(ref, self.scene_name)
        if index is None:
            return False
        name = book.names[index]
        writer, t = f"scene:{name}", self.clock()
        for write in book.writes(index, self.bus.specs, crossfade):
            if write.seconds is None:
                self.write(write.name, write.value, source, writer)
            else:
                self.fade(write.name, write.value, write.seconds, t, source=source, writer=writer)
        with self._lock:
            self._scene = name
        log.info("scene %s (from %s)", name, source)
        return True

    def action(self, target: str, value: Value | None, source: str) -> bool:
        """Run an action target ("keyframe:next", "scene:calm", "scene" with an index, ...)."""
        kind, _, argument = target.partition(":")
        if kind == "keyframe":
            self.fader.cancel("keyframe")
            by = "random" if argument == "random" else STEPS.get(argument, 0)
            return self.bus.step("keyframe", by, source)
        if kind == "seed":
            return self.write("seed", self._seed_after(argument), source, target)
        if kind == "scene":
            argument = argument or (value if value is not None else "next")
        return self._on_action is not None and self._on_action(kind, argument, value, source)

    def _seed_after(self, how: str) -> int:
        spec = self.spec("seed")
        top = int(spec.max) if spec is not None else 2**31 - 1
        if how == "random":
            return self._random.randrange(0, top + 1)
        now = int(self.current("seed"))
        return min(max(now + (1 if how == "next" else -1), 0), top)
