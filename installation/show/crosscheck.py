"""Checks across sections that the schema cannot make on one table: a mapping's target must be
a parameter, a scene or a known action, and an audio band one of [audio] bands; scene values
must be parameters in range; the autopilot's scenes must exist; a webcam video file must be there.

The loader runs them on every show it reads, so `check`, `play` and hot reload refuse the same
shows; a failure is a SchemaError whose key is the whole path ("mappings[2]", "to").
"""

from __future__ import annotations

from pathlib import Path

from installation.show.control_sections import ACTIONS
from installation.show.schema import SchemaError
from installation.show.sections import Show


def is_action(target: str) -> bool:
    """Whether a mapping target is an action ("scene:calm") rather than a parameter name."""
    return target.partition(":")[0] in ACTIONS and target not in ("keyframe", "seed")


def check_target(show: Show, target: str) -> str | None:
    """Why `target` cannot be driven in this show, or None if it can."""
    params = {p.name for p in show.parameters}
    scenes = {s.name for s in show.scenes}
    kind, _, argument = target.partition(":")
    if not is_action(target):
        return (
            None if target in params else f"no parameter {target!r} (declare it under [parameters.{target}])"
        )
    if kind == "scene" and argument not in ("", "next", "previous") and argument not in scenes:
        return f"no scene {argument!r} (scenes: {', '.join(sorted(scenes)) or 'none'})"
    if kind == "learn" and (problem := check_target(show, argument)) is not None:
        return f"cannot learn {argument!r}: {problem}"
    return None


def _check_mappings(show: Show) -> None:
    bands = [name for name, *_ in show.audio.bands]
    for index, mapping in enumerate(show.mappings):
        problem = check_target(show, mapping.to)
        if problem:
            raise SchemaError((f"mappings[{index}]", "to"), problem)
        kind, _, band = (mapping.audio or "").partition(":")
        if kind == "band" and band not in bands:
            raise SchemaError(
                (f"mappings[{index}]", "audio"), f"no band {band!r} in [audio] bands ({', '.join(bands)})"
            )


def _check_scenes(show: Show) -> None:
    params = {p.name: p for p in show.parameters}
    for scene in show.scenes:
        key = ("scenes", scene.name, "values")
        for name, value in scene.values:
            spec = params.get(name)
            if spec is None:
                raise SchemaError(key, f"no parameter {name!r}")
            if spec.type == "trigger":
                raise SchemaError(key, f"{name} is a trigger; a scene cannot hold it")
            if not spec.min <= float(value) <= spec.max:
                raise SchemaError(key, f"{name} = {value} is outside its range {spec.min:g} to {spec.max:g}")
    names = {s.name for s in show.scenes}
    for name in show.autopilot.scenes:
        if name not in names:
            raise SchemaError(("autopilot", "scenes"), f"no scene {name!r}")


def webcam_file(source: int | str, show_dir: Path) -> Path | None:
    """The file a webcam `source` names (relative to the show), or None for a camera index or
    a stream URL."""
    if isinstance(source, int) or "://" in source:
        return None
    return (show_dir / Path(source).expanduser()).resolve()


def _check_webcam(show: Show) -> None:
    # A camera can come and go (it is retried), but a video file that is not there is a typo.
    path = webcam_file(show.webcam.source, show.path.parent)
    if show.webcam.enabled and path is not None and not path.exists():
        raise SchemaError(("webcam", "source"), f"no such video file or device: {path}")


def check_show(show: Show) -> None:
    """Raise a SchemaError for the first cross-section mistake in `show`."""
    _check_mappings(show)
    _check_scenes(show)
    _check_webcam(show)
