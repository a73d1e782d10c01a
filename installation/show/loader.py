"""Loading a show file: TOML text -> a valid `Show`, or one UserError saying where and why.

Every way in (`check`, `play`, hot reload, the gallery) loads through here, so each refuses the
same shows: the schema of each table, then the checks across sections (`crosscheck`).
Messages read `FILE:LINE: section.key: what was expected, got what`, the line found by looking
for the key in the text (TOML parsers do not keep positions).
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from installation.errors import UserError
from installation.params.builtin import builtin_parameters
from installation.params.spec import ParamSpec
from installation.show.bend_sections import BendSettings, bend_parameters
from installation.show.crosscheck import check_show
from installation.show.schema import SchemaError, Section, check_table
from installation.show.sections import MotionSettings, Show
from installation.show.vectors import read_vectors

_HEADER = re.compile(r"\s*\[\[?\s*([^\[\]]+?)\s*\]\]?\s*(#.*)?$")
_ASSIGNMENT = re.compile(r"\s*([A-Za-z0-9_\-.\"' ]+?)\s*=")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _dotted(text: str) -> tuple[str, ...]:
    return tuple(part.strip().strip("\"'") for part in text.split("."))


def _keyed_lines(text: str) -> list[tuple[int, tuple[str, ...]]]:
    """(line number, full key) of every table header and assignment; the n-th `[[name]]` table
    is keyed `name[n]`."""
    found, table, arrays = [], (), {}
    for number, line in enumerate(text.splitlines(), start=1):
        if header := _HEADER.match(line):
            table = _dotted(header.group(1))
            if line.lstrip().startswith("[["):
                arrays[table] = index = arrays.get(table, -1) + 1
                table = (*table[:-1], f"{table[-1]}[{index}]")
            found.append((number, table))
        elif assignment := _ASSIGNMENT.match(line):
            found.append((number, table + _dotted(assignment.group(1))))
    return found


def _candidates(key: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    """The key, then ever shorter prefixes, each also without an item index (keyframes[2])."""
    for depth in range(len(key), 0, -1):
        wanted = key[:depth]
        yield wanted
        bare = re.sub(r"\[\d+\]$", "", wanted[-1])
        if bare != wanted[-1]:
            yield (*wanted[:-1], bare)


def find_line(text: str, key: tuple[str, ...]) -> int | None:
    """1-based line where `key` (e.g. ('motion', 'period_seconds')) is set or its table opens.

    When the key itself is absent (a default that clashes with a given value), the line of the
    nearest enclosing table is given instead.
    """
    lines = _keyed_lines(text)
    for wanted in _candidates(key):
        for number, full in lines:
            if full[: len(wanted)] == wanted:
                return number
    return None


class _Located(Exception):
    """A SchemaError with its full key, on its way to becoming a UserError."""

    def __init__(self, key: tuple[str, ...], message: str) -> None:
        super().__init__(message)
        self.key, self.message = key, message


@contextmanager
def _under(*key: str) -> Iterator[None]:
    """Give schema errors raised inside the key path of the table being read."""
    try:
        yield
    except SchemaError as error:
        raise _Located((*key, *error.key), error.message) from None


def _table(key: tuple[str, ...], table: Any) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise _Located(key, "expected a table")
    return table


def _settings(cls: type, key: tuple[str, ...], table: Any, base: Path, **extra: Any) -> Any:
    with _under(*key):
        return cls(**extra, **check_table(cls, _table(key, table), base))


def read_section(sec: Section, raw: Any, base: Path) -> Any:
    """One section's settings; a tuple of them for a named or array section."""
    if sec.named:
        tables = _table((sec.name,), {} if raw is None else raw)
        return tuple(
            _settings(sec.settings, (sec.name, name), table, base, name=name)
            for name, table in tables.items()
        )
    if sec.array:
        if not isinstance(raw, list | None):
            raise _Located((sec.name,), f"expected tables [[{sec.name}]]")
        return tuple(_settings(sec.settings, (f"{sec.name}[{i}]",), t, base) for i, t in enumerate(raw or ()))
    return _settings(sec.settings, (sec.name,), {} if raw is None else raw, base)


def _parameters(
    declared: Any, base: Path, motion: MotionSettings, bends: tuple[BendSettings, ...]
) -> tuple[ParamSpec, ...]:
    specs = {p.name: p for p in builtin_parameters(motion.offered_directions)}
    for index, bend in enumerate(bends):
        for spec in bend_parameters((bend,)):
            if spec.name in specs:
                raise _Located((f"bends[{index}]", "name"), f"parameter {spec.name} already exists")
            specs[spec.name] = spec
    for name, table in _table(("parameters",), declared).items():
        key = ("parameters", name)
        if not _NAME.fullmatch(name):
            raise _Located(key, "a parameter name is letters, digits and _, not starting with a digit")
        with _under(*key):
            given = check_table(ParamSpec, _table(key, table), base)
            builtin = specs.get(name)
            if builtin is None:
                specs[name] = ParamSpec(name, **given)
            elif given.get("type", builtin.type) != builtin.type:
                raise SchemaError(("type",), f"{name} is a built-in {builtin.type} parameter")
            else:
                specs[name] = dataclasses.replace(builtin, **given)
    return tuple(specs.values())


def _check_keyframe_files(motion: MotionSettings) -> None:
    """Read the vector files now, so a bad file stops the show here rather than on stage."""
    for index, keyframe in enumerate(motion.keyframes):
        if isinstance(keyframe, int):
            continue
        key = ("motion", f"keyframes[{index}]")
        try:
            space, _ = read_vectors(keyframe)
        except ValueError as error:
            raise _Located(key, str(error)) from None
        if space == "w" and (motion.interpolation == "slerp" or (index == 0 and motion.path != "keyframes")):
            needs = "interpolation = slerp" if motion.interpolation == "slerp" else f"path = {motion.path}"
            raise _Located(key, f"{keyframe.name} holds w vectors; {needs} needs z (a seed or z vectors)")


def _sections(data: dict[str, Any], base: Path) -> dict[str, Any]:
    """Show's constructor arguments from the parsed TOML."""
    attributes = {f.metadata["section"]: f.name for f in dataclasses.fields(Show) if "section" in f.metadata}
    names = [sec.name for sec in attributes]
    for name in data:
        if name not in names:
            raise _Located((name,), "unknown section; expected one of: " + ", ".join(names))
    values = {
        attribute: read_section(sec, data.get(sec.name), base)
        for sec, attribute in attributes.items()
        if sec.name != "parameters"  # merged with the built-ins, below
    }
    _check_keyframe_files(values["motion"])
    values["parameters"] = _parameters(data.get("parameters", {}), base, values["motion"], values["bends"])
    return values


def _located(text: str, path: Path, key: tuple[str, ...], message: str) -> UserError:
    line = find_line(text, key)
    where = f"{path}:{line}" if line else f"{path}"
    return UserError(f"{where}: {'.'.join(key)}: {message}")


def show_error(show: Show, key: tuple[str, ...], message: str) -> UserError:
    """A UserError about `key` of a loaded show, worded like the loader's (file, line, key): for
    checks that need more than the file, such as the model's sizes."""
    try:
        text = show.path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        text = ""
    return _located(text, show.path, key, message)


def parse_show(text: str, path: Path) -> Show:
    """A Show from TOML text; `path` names the file in messages and anchors relative paths."""
    if not text.strip():
        # Hot reload sees an empty file mid-save; a show that is really empty is a mistake too.
        raise UserError(
            f"{path}: the show file is empty (an all-defaults show needs at least [show] name = ...)"
        )
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise UserError(f"{path}: not valid TOML: {error}") from None
    try:
        show = Show(path=path, **_sections(data, path.parent))
        with _under():
            check_show(show)
    except _Located as error:
        raise _located(text, path, error.key, error.message) from None
    return show


def load_show(path: str | Path) -> Show:
    """Read and validate a show file; any problem is a UserError naming file, line and key."""
    path = Path(path).expanduser()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{path}: show file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"{path}: cannot read the show file: {error}") from None
    return parse_show(text, path.resolve())
