"""Choices made on the page, written back into the show file with its comments and layout kept
(tomlkit edits the document in place). The show watcher then reloads it like any other edit.

Each edit reads the file, changes one thing and writes the whole file atomically (a temporary
file renamed over it), so an editor open on the same file sees one complete change.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

import tomlkit
from tomlkit.items import Table

from installation.errors import UserError


def _edit(path: Path, change: Callable[[tomlkit.TOMLDocument], None]) -> None:
    try:
        document = tomlkit.parse(path.read_text(encoding="utf-8"))
    except (OSError, tomlkit.exceptions.ParseError) as error:
        raise UserError(f"cannot edit {path.name}: {error}") from None
    change(document)
    text = tomlkit.dumps(document)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise UserError(f"cannot write {path.name}: {error.strerror or error}") from None


def _table(document: tomlkit.TOMLDocument, *keys: str) -> Table:
    """The table at `keys` (created, as a [section] of its own, where it is missing)."""
    node = document
    for key in keys:
        if key not in node:
            node[key] = tomlkit.table(is_super_table=key != keys[-1])
        node = node[key]
        if not isinstance(node, Mapping):
            raise UserError(f"{'.'.join(keys)} in the show file is not a table")
    return node


def set_keyframe(path: Path, slot: int, seed: int, count: int) -> None:
    """Keyframe `slot` becomes `seed` (slot == count adds one at the end). `count`: how many the
    running show has, so a slot past the list is refused rather than padded."""

    def change(document: tomlkit.TOMLDocument) -> None:
        motion = _table(document, "motion")
        keyframes = motion.get("keyframes")
        if keyframes is None:
            keyframes = tomlkit.array([0, 1, 2, 3][:count] if count else [])
            motion["keyframes"] = keyframes
        if not 0 <= slot <= len(keyframes):
            raise UserError(f"no keyframe slot {slot}: the show has {len(keyframes)}")
        if slot == len(keyframes):
            keyframes.append(seed)
        else:
            keyframes[slot] = seed

    _edit(path, change)


def save_scene(path: Path, name: str, values: Mapping[str, float | bool]) -> None:
    """`[scenes.NAME] values = {...}` (replacing the values of a scene of that name)."""

    def change(document: tomlkit.TOMLDocument) -> None:
        table = tomlkit.inline_table()
        table.update({k: (v if isinstance(v, bool) else _number(v)) for k, v in values.items()})
        _table(document, "scenes", name)["values"] = table

    _edit(path, change)


def set_label(path: Path, parameter: str, label: str) -> None:
    """`[parameters.NAME] label = "..."` ("" removes it)."""

    def change(document: tomlkit.TOMLDocument) -> None:
        table = _table(document, "parameters", parameter)
        if label:
            table["label"] = label
        elif "label" in table:
            del table["label"]

    _edit(path, change)


def _number(value: float) -> float | int:
    value = float(value)
    return int(value) if value.is_integer() and abs(value) < 2**53 else round(value, 6)
