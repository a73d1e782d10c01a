"""Checks across sections that the schema cannot make on one table: a mapping's target must be
a parameter, a scene or a known action; scene values must be parameters in range; the
autopilot's scenes must exist. Errors read like the loader's: FILE:LINE: key: message."""

from __future__ import annotations

from installation.control.mappings import is_action
from installation.errors import UserError
from installation.show.loader import find_line
from installation.show.sections import Show


def _fail(show: Show, key: tuple[str, ...], message: str) -> None:
    try:
        line = find_line(show.path.read_text(encoding="utf-8"), key)
    except OSError:
        line = None
    where = f"{show.path}:{line}" if line else str(show.path)
    raise UserError(f"{where}: {'.'.join(key)}: {message}")


def check_target(show: Show, target: str) -> str | None:
    """Why `target` cannot be driven in this show, or None if it can."""
    params = {p.name: p for p in show.parameters}
    scenes = {s.name for s in show.scenes}
    kind, _, argument = target.partition(":")
    if not is_action(target):
        return (
            None if target in params else f"no parameter {target!r} (declare it under [parameters.{target}])"
        )
    if kind == "scene" and argument not in ("", "next", "previous") and argument not in scenes:
        return f"no scene {argument!r} (scenes: {', '.join(sorted(scenes)) or 'none'})"
    if kind == "learn" and check_target(show, argument) is not None:
        return f"cannot learn {argument!r}: {check_target(show, argument)}"
    return None


def check_show(show: Show) -> None:
    """Raise a UserError for the first cross-section mistake in `show`."""
    params = {p.name: p for p in show.parameters}
    for index, mapping in enumerate(show.mappings):
        problem = check_target(show, mapping.to)
        if problem:
            _fail(show, (f"mappings[{index}]", "to"), problem)
        band = mapping.audio.partition(":")[2] if mapping.audio and mapping.audio.startswith("band:") else ""
        if band and band not in {name for name, *_ in show.audio.bands}:
            bands = ", ".join(name for name, *_ in show.audio.bands)
            _fail(show, (f"mappings[{index}]", "audio"), f"no band {band!r} in [audio] bands ({bands})")
    for scene in show.scenes:
        for name, value in scene.values:
            spec = params.get(name)
            if spec is None:
                _fail(show, ("scenes", scene.name, "values"), f"no parameter {name!r}")
            elif spec.type == "trigger":
                _fail(show, ("scenes", scene.name, "values"), f"{name} is a trigger; a scene cannot hold it")
            elif not spec.min <= float(value) <= spec.max:
                _fail(
                    show,
                    ("scenes", scene.name, "values"),
                    f"{name} = {value} is outside its range {spec.min:g} to {spec.max:g}",
                )
    names = {s.name for s in show.scenes}
    for name in show.autopilot.scenes:
        if name not in names:
            _fail(show, ("autopilot", "scenes"), f"no scene {name!r}")
