"""What the control page sees of a running show and what it may do to it.

`layout()` describes the show (every parameter with its kind, range and unit; scenes;
keyframes; directions); `values()` and `status()` are what changes. `handle(message)` checks one
message from a page and acts on it: parameters, scenes and keyframes through `Controls`, the
same path OSC takes; pause through the show clock, as the space key; show-file edits through
`showfile`. Anything wrong raises `Refused` with the reason, before anything changed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from installation.errors import UserError
from installation.params.builtin import LATENT
from installation.params.spec import ParamSpec
from installation.show.sections import SEED_MAX, Show
from installation.web import showfile

SOURCE = "web"
SCENE_NAME = re.compile(r"[A-Za-z0-9_\-]{1,40}")
MAX_LABEL = 40
KEYFRAME_STEPS = ("next", "previous", "random")


class Refused(Exception):
    """A message the page sent that cannot be used; the text says why (one line)."""


def describe(spec: ParamSpec) -> dict[str, Any]:
    """A parameter as the page draws it: a fader (float, int), a toggle (bool) or a button."""
    control = {"float": "fader", "int": "number", "bool": "toggle", "trigger": "button"}[spec.type]
    if spec.type == "int" and spec.max - spec.min <= 1024:
        control = "fader"
    return {
        "name": spec.name,
        "label": spec.label,
        "control": control,
        "type": spec.type,
        "min": spec.min,
        "max": spec.max,
        "step": 1 if spec.type == "int" else (spec.max - spec.min) / 1000,
        "default": spec.default,
        "unit": spec.unit,
        "help": spec.help,
    }


def keyframe_text(entry: int | Path) -> str:
    return f"seed {entry}" if isinstance(entry, int) else Path(entry).name


def _text(message: dict, key: str) -> str:
    value = message.get(key)
    if not isinstance(value, str):
        raise Refused(f"{key} must be text")
    return value


def _whole(message: dict, key: str, low: int, high: int) -> int:
    value = message.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise Refused(f"{key} must be a number")
    if value != int(value) or not low <= value <= high:
        raise Refused(f"{key} must be a whole number from {low} to {high}")
    return int(value)


class ShowPage:
    """`live`: the LiveShow; `surfaces`: its running ControlSurfaces; `displayed_fps`: the
    screen's rate (the presenter's), for the status; `explore(seeds)`: asks for thumbnails."""

    def __init__(
        self,
        live: Any,
        surfaces: Any,
        *,
        displayed_fps: Callable[[], float] = lambda: 0.0,
        explore: Callable[[list[int]], None] | None = None,
    ) -> None:
        self.live, self.surfaces = live, surfaces
        self._displayed_fps = displayed_fps
        self._explore = explore

    @property
    def show(self) -> Show:
        return self.surfaces.show

    @property
    def controls(self):
        return self.surfaces.controls

    # --- what the page shows ---------------------------------------------------------------

    def layout(self) -> dict[str, Any]:
        show = self.show
        return {
            "type": "layout",
            "show": show.info.name,
            "params": [describe(spec) for spec in self.controls.bus.specs.values()],
            "scenes": [s.name for s in show.scenes],
            "keyframes": [keyframe_text(k) for k in show.motion.keyframes],
            "directions": show.motion.directions,
            "explorer": self._explore is not None,
            "editable": show.path.is_file(),
        }

    def values(self) -> dict[str, float | bool]:
        specs = self.controls.bus.specs
        values = self.controls.values()
        return {
            name: (value >= 0.5 if specs[name].type == "bool" else value)
            for name, value in values.items()
            if name in specs
        }

    def status(self) -> dict[str, Any]:
        """The facts /health gives about the running show, and the page's own."""
        live, fps = self.live, self._displayed_fps()
        engine = live.engine
        stats = engine.stats if engine is not None and engine.ready.is_set() else None
        from installation.gallery.problems import SHOWN

        problems = ([live.note] if live.note else []) + SHOWN.current()
        return {
            "type": "status",
            "fps": round(fps, 1),
            "rendered_fps": round(stats.rendered_fps, 1) if stats else None,
            "level": stats.level if stats else None,
            "batch": stats.batch if stats else None,
            "latency_bound_ms": round(stats.latency_bound_ms(1000 / max(fps, 1.0)), 1) if stats else None,
            "paused": live.clock.paused,
            "scene": self.controls.scene_name,
            "sinks": live.sinks(),
            "inputs": {k: v for k, v in (live.port.inputs() or {}).items()},
            "problems": problems,
        }

    # --- what the page does ----------------------------------------------------------------

    def handle(self, message: Any) -> str:
        """Act on one message (a decoded JSON object); what was done, for the reply."""
        if not isinstance(message, dict):
            raise Refused("a message is a JSON object")
        kind = message.get("type")
        handler = self._handlers().get(kind) if isinstance(kind, str) else None
        if handler is None:
            raise Refused(f"unknown message type {kind!r}"[:80])
        self.controls.note_input(SOURCE)
        return handler(message)

    def _handlers(self) -> dict[str, Callable[[dict], str]]:
        return {
            "set": self._set,
            "fire": self._fire,
            "scene": self._scene,
            "save_scene": self._save_scene,
            "keyframe": self._keyframe,
            "pause": self._pause,
            "audition": self._audition,
            "to_keyframe": self._to_keyframe,
            "label": self._label,
            "explore": self._explore_seeds,
        }

    def _spec(self, message: dict) -> ParamSpec:
        name = _text(message, "name")
        spec = self.controls.spec(name)
        if spec is None:
            raise Refused(f"no parameter {name!r}"[:80])
        return spec

    def _set(self, message: dict) -> str:
        spec = self._spec(message)
        value = message.get("value")
        if not isinstance(value, (int, float)) or (not isinstance(value, bool) and not math.isfinite(value)):
            raise Refused("value must be a number or true/false")
        if spec.type == "trigger":
            raise Refused(f"{spec.name} is a trigger: fire it")
        if not self.controls.write(spec.name, float(value), SOURCE, SOURCE):
            raise Refused(f"{spec.name} did not take {value}")
        return f"{spec.name} = {value}"

    def _fire(self, message: dict) -> str:
        spec = self._spec(message)
        if spec.type != "trigger" or not self.controls.fire(spec.name, SOURCE, SOURCE):
            raise Refused(f"{spec.name} is not a trigger")
        return f"{spec.name} fired"

    def _scene(self, message: dict) -> str:
        name = _text(message, "name")
        if not self.surfaces.recall_scene(name, SOURCE):
            raise Refused(f"no scene {name!r}"[:80])
        return f"scene {name}"

    def _save_scene(self, message: dict) -> str:
        name = _text(message, "name")
        if not SCENE_NAME.fullmatch(name):
            raise Refused("a scene name is 1 to 40 letters, digits, - or _")
        specs = self.controls.bus.specs
        values = {
            n: v for n, v in self.values().items() if specs[n].type != "trigger" and n not in ("keyframe",)
        }
        self._edit(lambda path: showfile.save_scene(path, name, values))
        return f"scene {name} saved"

    def _keyframe(self, message: dict) -> str:
        count = max(len(self.show.motion.keyframes), 1)
        if "step" in message:
            step = message["step"]
            if step not in KEYFRAME_STEPS:
                raise Refused("step must be next, previous or random")
            self.controls.action(f"keyframe:{step}", None, SOURCE)
            return f"keyframe {step}"
        index = _whole(message, "index", 0, count - 1)
        self.controls.write("keyframe", index, SOURCE, SOURCE)
        return f"keyframe {index}"

    def _pause(self, message: dict) -> str:
        paused = message.get("paused")
        if not isinstance(paused, bool):
            raise Refused("paused must be true or false")
        clock = self.live.clock
        clock.pause() if paused else clock.resume()
        return "paused" if paused else "playing"

    def _audition(self, message: dict) -> str:
        """Show a seed on screen now (the bus's latent, as OSC's /latent), or end that (null)."""
        from installation.motion.latents import seed_z

        bus = self.controls.bus
        if message.get("seed") is None:
            bus.set_vector(LATENT, None, SOURCE)
            return "audition over"
        seed = _whole(message, "seed", 0, SEED_MAX)
        length = bus.vector_length(LATENT)
        if length is None or not bus.set_vector(LATENT, seed_z(seed, length), SOURCE):
            raise Refused("the model is not loaded yet")
        return f"seed {seed} on screen"

    def _to_keyframe(self, message: dict) -> str:
        count = len(self.show.motion.keyframes)
        seed = _whole(message, "seed", 0, SEED_MAX)
        slot = _whole(message, "slot", 0, count)
        self._edit(lambda path: showfile.set_keyframe(path, slot, seed, count))
        return f"keyframe {slot} = seed {seed}"

    def _label(self, message: dict) -> str:
        spec = self._spec(message)
        label = _text(message, "label").strip()
        if len(label) > MAX_LABEL or not label.isprintable():
            raise Refused(f"a label is up to {MAX_LABEL} printable characters")
        self._edit(lambda path: showfile.set_label(path, spec.name, label))
        return f"{spec.name} is {label!r}" if label else f"{spec.name} has no label"

    def _explore_seeds(self, message: dict) -> str:
        if self._explore is None:
            raise Refused("the explorer is off ([web] explorer = false)")
        first = _whole(message, "first", 0, SEED_MAX)
        count = _whole(message, "count", 1, 64)
        self._explore([s for s in range(first, first + count) if s <= SEED_MAX])
        return f"seeds {first} to {first + count - 1}"

    def _edit(self, change: Callable[[Path], None]) -> None:
        path = self.show.path
        if not path.is_file():
            raise Refused("this show has no file to write to")
        try:
            change(path)
        except UserError as error:
            raise Refused(str(error)) from None
