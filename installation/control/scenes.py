"""Scenes: named sets of parameter values from the show (`[scenes.NAME]`), recalled with a
crossfade. Floats fade linearly over the crossfade time; ints and bools (and the keyframe, a
jump by nature) change at its start."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from installation.show.control_sections import SceneSettings

if TYPE_CHECKING:
    from installation.control.controls import Controls


class SceneBook:
    """The show's scenes in file order (their indices are what program changes and OSC ints
    pick), and which one was recalled last."""

    def __init__(self, scenes: Sequence[SceneSettings]) -> None:
        self.scenes = tuple(scenes)
        self.current: int | None = None

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.scenes]

    @property
    def current_name(self) -> str:
        return "" if self.current is None else self.scenes[self.current].name

    def find(self, ref: str | int | float) -> int | None:
        """A scene by name, by index, or by "next" / "previous" (wrapping around)."""
        if not self.scenes:
            return None
        if isinstance(ref, str):
            if ref in ("next", "previous"):
                step = 1 if ref == "next" else -1
                if self.current is None:
                    return 0 if step > 0 else len(self.scenes) - 1
                return (self.current + step) % len(self.scenes)
            names = self.names
            if ref in names:
                return names.index(ref)
            return int(ref) if ref.isdigit() and int(ref) < len(self.scenes) else None
        index = int(ref)
        return index if 0 <= index < len(self.scenes) and index == ref else None

    def recall(
        self, index: int, controls: "Controls", source: str, crossfade: float | None, t: float
    ) -> None:
        scene = self.scenes[index]
        seconds = scene.crossfade if crossfade is None else crossfade
        self.current = index
        writer = f"scene:{scene.name}"
        for name, value in scene.values:
            spec = controls.spec(name)
            if spec is None:
                continue  # the show was checked; a parameter can only vanish in a reload race
            if spec.type == "float":
                controls.fade(name, float(value), seconds, t, source=source, writer=writer)
            else:
                controls.write(name, float(value), source, writer)
        if scene.keyframe is not None:
            controls.write("keyframe", scene.keyframe, source, writer)
