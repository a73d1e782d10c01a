"""The autopilot: when nobody has touched anything for `idle_seconds`, the piece plays itself.

Parameters that people moved ease back to the show's defaults over `fade_seconds` (floats glide;
ints and switches return at once, like in a scene), and motion runs its program as the show
describes it. With `scenes`, it recalls those in turn instead, one every `scene_seconds`. The
first input from a person (OSC, MIDI, a key) hands control back, leaving values where they are.
Parameters driven by sensors (the webcam, MIDI clock) are left to them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from installation.control.controls import Controls
from installation.control.scenes import SceneBook
from installation.show.control_sections import AutopilotSettings

log = logging.getLogger(__name__)

SOURCE = "autopilot"


class Autopilot:
    """`scenes`: the show's scene book, for the scenes it recalls in turn."""

    def __init__(
        self,
        settings: AutopilotSettings,
        controls: Controls,
        keep: Iterable[str] = (),
        scenes: SceneBook | None = None,
    ) -> None:
        self._settings = settings
        self._controls = controls
        self._scenes = scenes or SceneBook(())
        self._keep = set(keep) | {"keyframe"}  # a keyframe is a jump, not a state to return to
        self._engaged_at: float | None = None
        self._next_scene_at = 0.0

    @property
    def engaged(self) -> bool:
        return self._engaged_at is not None

    def command(self, what: str) -> None:
        """ "on" engages now, "off" hands back, "toggle" flips (the `autopilot:` actions)."""
        if what == "toggle":
            what = "off" if self.engaged else "on"
        if what == "on" and not self.engaged:
            self._engage(self._controls.clock())
        elif what == "off":
            self._engaged_at = None

    def tick(self, now: float) -> None:
        idle = self._controls.idle_seconds(now)
        if self._engaged_at is not None:
            if idle < now - self._engaged_at:  # someone did something since it took over
                log.info("autopilot: handing back (input from %s)", self._controls.last_input_source)
                self._engaged_at = None
                self._controls.fader.cancel_source(SOURCE)
            elif self._settings.scenes and now >= self._next_scene_at:
                self._next_scene(now)
        elif self._settings.enabled and idle >= self._settings.idle_seconds:
            self._engage(now)

    def _engage(self, now: float) -> None:
        log.info("autopilot: taking over")
        self._engaged_at = now
        if self._settings.scenes:
            self._next_scene_at = now
            self._next_scene(now)
            return
        c, seconds = self._controls, self._settings.fade_seconds
        values = c.values()
        for name, spec in c.bus.specs.items():
            if name in self._keep or spec.type == "trigger" or values.get(name) == float(spec.default):
                continue
            if spec.type == "float":
                c.fade(name, float(spec.default), seconds, now, source=SOURCE, writer=SOURCE)
            else:
                c.write(name, float(spec.default), SOURCE, SOURCE)

    def _next_scene(self, now: float) -> None:
        names = self._settings.scenes
        current = self._controls.scene_name
        following = names[(names.index(current) + 1) % len(names)] if current in names else names[0]
        self._controls.recall_scene(self._scenes, following, SOURCE, self._settings.fade_seconds)
        self._next_scene_at = now + self._settings.scene_seconds
