"""Scenes: named sets of parameter values from the show (`[scenes.NAME]`), recalled with a
crossfade. Floats fade linearly over the crossfade time; ints and bools (and the keyframe, a
jump by nature) change at its start."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from installation.params.spec import ParamSpec
from installation.show.control_sections import SceneSettings


@dataclass(frozen=True)
class SceneWrite:
    """One parameter write of a recall: faded over `seconds`, or made at once (None)."""

    name: str
    value: float
    seconds: float | None


class SceneBook:
    """The show's scenes in file order (their indices are what program changes and OSC ints
    pick). A description only: recalling one means making the writes it lists."""

    def __init__(self, scenes: Sequence[SceneSettings]) -> None:
        self.scenes = tuple(scenes)

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.scenes]

    def find(self, ref: str | int | float, current: str = "") -> int | None:
        """A scene by name, by index, or by "next" / "previous" from the scene named `current`
        (wrapping around; from the first or last when `current` is none of them)."""
        if not self.scenes:
            return None
        names = self.names
        if isinstance(ref, str):
            if ref in ("next", "previous"):
                step = 1 if ref == "next" else -1
                if current not in names:
                    return 0 if step > 0 else len(self.scenes) - 1
                return (names.index(current) + step) % len(self.scenes)
            if ref in names:
                return names.index(ref)
            return int(ref) if ref.isdigit() and int(ref) < len(self.scenes) else None
        index = int(ref)
        return index if 0 <= index < len(self.scenes) and index == ref else None

    def writes(
        self, index: int, specs: Mapping[str, ParamSpec], crossfade: float | None = None
    ) -> list[SceneWrite]:
        """What recalling scene `index` writes, given the bus's parameters: floats fade over the
        crossfade (the scene's own unless given), the rest and the keyframe change at once."""
        scene = self.scenes[index]
        seconds = scene.crossfade if crossfade is None else crossfade
        writes = []
        for name, value in scene.values:
            spec = specs.get(name)
            if spec is None:
                continue  # the show was checked; a parameter can only vanish in a reload race
            writes.append(SceneWrite(name, float(value), seconds if spec.type == "float" else None))
        if scene.keyframe is not None:
            writes.append(SceneWrite("keyframe", float(scene.keyframe), None))
        return writes
