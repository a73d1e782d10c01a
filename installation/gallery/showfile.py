"""The best show we can play when nobody is there to fix the file.

In order: the show as written; the show with its model replaced by the embedded default (the
checkpoint is missing); the last version that loaded (the file was broken by an edit); the
built-in defaults. Whatever was given up is returned as problems, for the log and the HUD.

A replacement is written as a hidden file next to the show, so that its relative paths (keyframe
vectors) still resolve; the renderer plays that file until the show itself loads again.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from installation.errors import UserError
from installation.show.loader import find_line, parse_show
from installation.show.sections import DEFAULT_MODEL, Show

log = logging.getLogger(__name__)

_MODEL_PATH = re.compile(r"\s*path\s*=")
DEFAULT_SHOW = Path(__file__).resolve().parents[2] / "shows" / "default.toml"


@dataclass(frozen=True)
class Resolved:
    show: Show
    path: Path  # the file the renderer should play: the show itself or its stand-in
    text: str  # the text `show` was read from
    problems: tuple[str, ...] = ()

    @property
    def original(self) -> bool:
        return not self.problems


def stand_in_path(show_path: Path) -> Path:
    return show_path.with_name(f".{show_path.stem}.gallery-stand-in.toml")


def without_model(text: str) -> str | None:
    """`text` with [model] path set to the embedded default, or None where it is not a plain line."""
    line = find_line(text, ("model", "path"))
    lines = text.splitlines()
    if line is None or not _MODEL_PATH.match(lines[line - 1]):
        return None
    lines[line - 1] = f'path = "{DEFAULT_MODEL}"  # gallery: the model named here could not be used'
    return "\n".join(lines) + "\n"


def _write(path: Path, text: str) -> bool:
    try:
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)  # a renderer starting now never reads half a file
        return True
    except OSError as error:
        log.error("cannot write %s (%s)", path, error)
        return False


def resolve(path: Path, last_good: str | None = None) -> Resolved:
    """What to play for the show at `path`; `last_good` is the text of the last version that loaded."""
    path = Path(path).expanduser().resolve()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        text, failure = None, f"{path}: cannot read the show file: {error}"
    else:
        try:
            return Resolved(parse_show(text, path), path, text)
        except UserError as error:
            failure = str(error)
    log.error("show cannot be played as written: %s", failure)
    candidates = []
    if text is not None and (patched := without_model(text)) is not None:
        candidates.append((patched, f"{failure}; playing the embedded default model"))
    if last_good is not None:
        candidates.append((last_good, f"{failure}; playing the last version that loaded"))
    stand_in = stand_in_path(path)
    for candidate, problem in candidates:
        try:
            show = parse_show(candidate, path)
        except UserError:
            continue
        if _write(stand_in, candidate):
            log.warning("%s", problem)
            return Resolved(show, stand_in, candidate, (problem,))
    problem = f"{failure}; playing the default show"
    log.warning("%s", problem)
    default = DEFAULT_SHOW.read_text(encoding="utf-8")
    return Resolved(parse_show(default, DEFAULT_SHOW), DEFAULT_SHOW, default, (problem,))
