"""The show-file schema mechanism: typed settings declared once, on frozen dataclasses.

A section's settings class is a frozen dataclass whose fields are declared with `setting(default,
kind, help)`. That one declaration gives the loader its checks (kind and range), the dataclass
its defaults and the reference in docs/shows.md its text, so a new section is added by
declaring it. Fields declared without `setting` (a parameter's `name`) are not file keys.
"""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path
from typing import Any

LAYER_GROUPS = {"all": (0, None), "coarse": (0, 4), "middle": (4, 8), "fine": (8, None)}


class SchemaError(ValueError):
    """A value that does not fit the schema; `key` is its path relative to where it was checked."""

    def __init__(self, key: tuple[str, ...], message: str) -> None:
        super().__init__(message)
        self.key = key
        self.message = message


def toml_repr(value: Any) -> str:
    """A value the way the user wrote it in TOML, shortened: for 'got ...' in messages."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return '"' + text.replace('"', '\\"') + '"'
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "[" + ", ".join(toml_repr(v) for v in value[:4]) + (", ...]" if len(value) > 4 else "]")
    return str(value)


class Kind:
    """How one setting's TOML value is checked and converted.

    `convert` returns the Python value or raises ValueError with the full message; `describe`
    is the 'expected ...' phrase shared by error messages and the docs.
    """

    def describe(self) -> str:
        raise NotImplementedError

    def convert(self, value: Any, base: Path) -> Any:
        raise NotImplementedError

    def mismatch(self, value: Any) -> ValueError:
        return ValueError(f"expected {self.describe()}, got {toml_repr(value)}")

    def format(self, value: Any) -> str:
        """A converted value as it would be written in the file (for defaults in the docs)."""
        return toml_repr(list(value) if isinstance(value, tuple) else value)


def number_text(x: float) -> str:
    """12, 0.5, 4294967295: integers in full, other numbers short."""
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _bounds(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f" from {number_text(low)} to {number_text(high)}"
    if low is not None:
        return f" of at least {number_text(low)}"
    if high is not None:
        return f" of at most {number_text(high)}"
    return ""


@dataclasses.dataclass(frozen=True)
class Number(Kind):
    low: float | None = None
    high: float | None = None

    def describe(self) -> str:
        return "a number" + _bounds(self.low, self.high)

    def convert(self, value: Any, base: Path) -> float:
        # bool is an int in Python, but `true` is not a number in a show file.
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.mismatch(value)
        if (self.low is not None and value < self.low) or (self.high is not None and value > self.high):
            raise self.mismatch(value)
        return float(value)


@dataclasses.dataclass(frozen=True)
class Integer(Kind):
    low: int | None = None
    high: int | None = None

    def describe(self) -> str:
        return "an integer" + _bounds(self.low, self.high)

    def convert(self, value: Any, base: Path) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.mismatch(value)
        if (self.low is not None and value < self.low) or (self.high is not None and value > self.high):
            raise self.mismatch(value)
        return value


@dataclasses.dataclass(frozen=True)
class Flag(Kind):
    def describe(self) -> str:
        return "true or false"

    def convert(self, value: Any, base: Path) -> bool:
        if not isinstance(value, bool):
            raise self.mismatch(value)
        return value


@dataclasses.dataclass(frozen=True)
class Text(Kind):
    def describe(self) -> str:
        return "a string"

    def convert(self, value: Any, base: Path) -> str:
        if not isinstance(value, str):
            raise self.mismatch(value)
        return value


@dataclasses.dataclass(frozen=True)
class Choice(Kind):
    options: tuple[str, ...]

    def describe(self) -> str:
        quoted = [f'"{o}"' for o in self.options]
        return quoted[0] if len(quoted) == 1 else "one of " + ", ".join(quoted)

    def convert(self, value: Any, base: Path) -> str:
        if not isinstance(value, str) or value not in self.options:
            raise self.mismatch(value)
        return value


@dataclasses.dataclass(frozen=True)
class Color(Kind):
    def describe(self) -> str:
        return 'a colour "#rrggbb"'

    def convert(self, value: Any, base: Path) -> tuple[int, int, int]:
        if not isinstance(value, str) or not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
            raise self.mismatch(value)
        return tuple(int(value[i : i + 2], 16) for i in (1, 3, 5))

    def format(self, value: tuple[int, int, int]) -> str:
        return '"#{:02x}{:02x}{:02x}"'.format(*value)


@dataclasses.dataclass(frozen=True)
class FilePath(Kind):
    """A file relative to the show file; `keywords` are strings meant literally (e.g. "default")."""

    suffixes: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()

    def describe(self) -> str:
        what = "a path to a " + "/".join(self.suffixes) + " file" if self.suffixes else "a file path"
        return " or ".join([*(f'"{k}"' for k in self.keywords), what])

    def convert(self, value: Any, base: Path) -> str | Path:
        if not isinstance(value, str) or not value:
            raise self.mismatch(value)
        if value in self.keywords:
            return value
        path = (base / Path(value).expanduser()).resolve()
        if self.suffixes and path.suffix.lower() not in self.suffixes:
            raise self.mismatch(value)
        if not path.exists():
            raise ValueError(f"file not found: {path}")
        if not path.is_file():
            what = "a folder" if path.is_dir() else "not a regular file (a device, a pipe or a socket)"
            raise ValueError(f"{path} is {what}")
        return path


@dataclasses.dataclass(frozen=True)
class LayerRange(Kind):
    """ws indices: a named group or "A-B" (inclusive); converted to (start, stop or None)."""

    def describe(self) -> str:
        return " or ".join(f'"{g}"' for g in LAYER_GROUPS) + ' or "A-B" (ws indices)'

    def convert(self, value: Any, base: Path) -> tuple[int, int | None]:
        if isinstance(value, str) and value in LAYER_GROUPS:
            return LAYER_GROUPS[value]
        match = re.fullmatch(r"\s*(\d+)\s*-\s*(\d+)\s*", value) if isinstance(value, str) else None
        if not match or int(match.group(1)) > int(match.group(2)):
            raise self.mismatch(value)
        return int(match.group(1)), int(match.group(2)) + 1

    def format(self, value: tuple[int, int | None]) -> str:
        names = {v: k for k, v in LAYER_GROUPS.items()}
        return f'"{names[value]}"' if value in names else f'"{value[0]}-{value[1] - 1}"'


@dataclasses.dataclass(frozen=True)
class AnyOf(Kind):
    kinds: tuple[Kind, ...]

    def describe(self) -> str:
        return " or ".join(k.describe() for k in self.kinds)

    def convert(self, value: Any, base: Path) -> Any:
        errors = []
        for kind in self.kinds:
            try:
                return kind.convert(value, base)
            except ValueError as error:
                errors.append(str(error))
        # A file that is missing says more than "expected a seed or a path".
        specific = [e for e in errors if not e.startswith("expected ")]
        raise ValueError(specific[0]) if specific else self.mismatch(value)


@dataclasses.dataclass(frozen=True)
class ListOf(Kind):
    item: Kind
    max_items: int = 1024

    def describe(self) -> str:
        return f"a list of ({self.item.describe()})"

    def convert(self, value: Any, base: Path) -> tuple:
        if not isinstance(value, list) or len(value) > self.max_items:
            raise self.mismatch(value)
        items = []
        for index, item in enumerate(value):
            try:
                items.append(self.item.convert(item, base))
            except ValueError as error:
                raise SchemaError((f"[{index}]",), str(error)) from None
        return tuple(items)


def setting(default: Any, kind: Kind, help: str) -> Any:
    """Declare a show-file setting on a settings dataclass."""
    return dataclasses.field(default=default, metadata={"kind": kind, "help": help})


@dataclasses.dataclass(frozen=True)
class Setting:
    name: str
    kind: Kind
    default: Any
    help: str


def settings_of(cls: type) -> list[Setting]:
    """The file keys a settings dataclass declares, in declaration order."""
    return [
        Setting(f.name, f.metadata["kind"], f.default, f.metadata["help"])
        for f in dataclasses.fields(cls)
        if "kind" in f.metadata
    ]


def check_table(cls: type, table: dict[str, Any], base: Path) -> dict[str, Any]:
    """The converted values of a TOML table checked against `cls`'s settings (only those given).

    Raises SchemaError with the key relative to the table.
    """
    known = {s.name: s for s in settings_of(cls)}
    given = {}
    for key, value in table.items():
        if key not in known:
            raise SchemaError((key,), "unknown setting; expected one of: " + ", ".join(known))
        try:
            given[key] = known[key].kind.convert(value, base)
        except SchemaError as error:
            # An item of a list: keep the index next to its key ("keyframes[2]").
            raise SchemaError((key + error.key[0], *error.key[1:]), error.message) from None
        except ValueError as error:
            raise SchemaError((key,), str(error)) from None
    return given


@dataclasses.dataclass(frozen=True)
class Section:
    """A top-level part of the show file: one table `[name]`; with `named`, any number of
    tables `[name.KEY]` (the settings class has a plain `name` field, given KEY); with `array`,
    an array of tables `[[name]]`. Named and array sections load as tuples of settings."""

    name: str
    settings: type
    help: str
    named: bool = False
    array: bool = False

    @property
    def header(self) -> str:
        return f"[{self.name}.NAME]" if self.named else f"[[{self.name}]]" if self.array else f"[{self.name}]"


def section(name: str, settings: type, help: str, *, named: bool = False, array: bool = False) -> Any:
    """Declare a section as a field of the `Show` dataclass (its default: all defaults, or none)."""
    factory = tuple if named or array else settings
    return dataclasses.field(
        default_factory=factory, metadata={"section": Section(name, settings, help, named, array)}
    )


def sections_of(cls: type) -> list[Section]:
    return [f.metadata["section"] for f in dataclasses.fields(cls) if "section" in f.metadata]
