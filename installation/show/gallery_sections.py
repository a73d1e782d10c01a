"""Show-file sections for unattended runs: `[gallery]`, `[schedule]`, `[health]`, `[logging]`.

Declared with the schema mechanism of `installation.show.schema` (owned by the show package);
`installation.show.sections.Show` lists them. The kinds below read the clock-and-calendar and
network values these sections need.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from installation.show.schema import Choice, Flag, Integer, Kind, ListOf, Number, SchemaError, setting

DAY_MINUTES = 24 * 60
ALWAYS = ((0, DAY_MINUTES),)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_CLOCK = r"(\d{1,2}):(\d{2})"
_SPAN = re.compile(rf"\s*{_CLOCK}\s*-\s*{_CLOCK}\s*")

Span = tuple[int, int]  # minutes after midnight; an end at or before the start runs past midnight


def _minutes(hours: str, minutes: str, *, end: bool) -> int | None:
    h, m = int(hours), int(minutes)
    if m >= 60 or h > 24 or (h == 24 and (m or not end)):
        return None
    return h * 60 + m


def clock_text(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True)
class Hours(Kind):
    """Opening hours of one day: "closed", "always", or spans "10:00-13:00, 14:00-18:00" (a span
    such as "20:00-02:00" runs past midnight). Converted to a tuple of (start, end) minutes."""

    def describe(self) -> str:
        return '"closed", "always" or hours like "10:00-18:00" or "10:00-13:00, 14:00-02:00"'

    def convert(self, value: Any, base: Path) -> tuple[Span, ...]:
        if not isinstance(value, str):
            raise self.mismatch(value)
        word = value.strip().lower()
        if word in ("closed", "always"):
            return () if word == "closed" else ALWAYS
        spans = []
        for part in value.split(","):
            match = _SPAN.fullmatch(part)
            if not match:
                raise self.mismatch(value)
            start = _minutes(match.group(1), match.group(2), end=False)
            stop = _minutes(match.group(3), match.group(4), end=True)
            if start is None or stop is None or start == stop:
                raise self.mismatch(value)
            spans.append((start, stop))
        return tuple(sorted(spans))

    def format(self, value: tuple[Span, ...]) -> str:
        if not value:
            return '"closed"'
        if value == ALWAYS:
            return '"always"'
        return '"' + ", ".join(f"{clock_text(a)}-{clock_text(b)}" for a, b in value) + '"'


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        return None


@dataclass(frozen=True)
class Dates(Kind):
    """A date "2026-12-25" or an inclusive range "2026-12-24..2027-01-02", as (first, last)."""

    def describe(self) -> str:
        return 'a date "YYYY-MM-DD" or a range "YYYY-MM-DD..YYYY-MM-DD"'

    def convert(self, value: Any, base: Path) -> tuple[dt.date, dt.date]:
        if not isinstance(value, str):
            raise self.mismatch(value)
        first, _, last = value.partition("..")
        start, stop = _date(first), _date(last) if last else _date(first)
        if start is None or stop is None or stop < start:
            raise self.mismatch(value)
        return start, stop

    def format(self, value: tuple[dt.date, dt.date]) -> str:
        a, b = value
        return f'"{a}"' if a == b else f'"{a}..{b}"'


@dataclass(frozen=True)
class DatedHours(Kind):
    """Hours for one date, replacing its weekday's: "2026-12-24 10:00-14:00"."""

    def describe(self) -> str:
        return '"YYYY-MM-DD HOURS" with HOURS as for a weekday'

    def convert(self, value: Any, base: Path) -> tuple[dt.date, tuple[Span, ...]]:
        if not isinstance(value, str):
            raise self.mismatch(value)
        day, _, hours = value.strip().partition(" ")
        date = _date(day)
        if date is None or not hours.strip():
            raise self.mismatch(value)
        try:
            return date, Hours().convert(hours, base)
        except ValueError:
            raise self.mismatch(value) from None

    def format(self, value: tuple[dt.date, tuple[Span, ...]]) -> str:
        return f'"{value[0]} {Hours().format(value[1])[1:-1]}"'


@dataclass(frozen=True)
class TimedScene(Kind):
    """A playlist entry "HH:MM scene": recall `scene` at that time of day."""

    def describe(self) -> str:
        return '"HH:MM scene-name"'

    def convert(self, value: Any, base: Path) -> tuple[int, str]:
        match = re.fullmatch(rf"\s*{_CLOCK}\s+(\S.*?)\s*", value) if isinstance(value, str) else None
        minutes = match and _minutes(match.group(1), match.group(2), end=False)
        if minutes is None:
            raise self.mismatch(value)
        return minutes, match.group(3)

    def format(self, value: tuple[int, str]) -> str:
        return f'"{clock_text(value[0])} {value[1]}"'


@dataclass(frozen=True)
class Address(Kind):
    """An IP address to listen on (a host name would make where we listen depend on DNS)."""

    def describe(self) -> str:
        return 'an IP address such as "127.0.0.1" or "0.0.0.0"'

    def convert(self, value: Any, base: Path) -> str:
        try:
            return str(ipaddress.ip_address(value))
        except ValueError:
            raise self.mismatch(value) from None


@dataclass(frozen=True)
class Network(Kind):
    """A sender network "192.168.1.0/24" (or one address)."""

    def describe(self) -> str:
        return 'a network such as "192.168.1.0/24"'

    def convert(self, value: Any, base: Path) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
        try:
            return ipaddress.ip_network(value, strict=False)
        except (ValueError, TypeError):
            raise self.mismatch(value) from None

    def format(self, value: Any) -> str:
        return f'"{value}"'


@dataclass(frozen=True)
class Directory(Kind):
    """A folder relative to the show file; "" keeps the built-in default."""

    def describe(self) -> str:
        return "a folder path"

    def convert(self, value: Any, base: Path) -> Path | str:
        if not isinstance(value, str):
            raise self.mismatch(value)
        return (base / Path(value).expanduser()).resolve() if value else ""


@dataclass(frozen=True)
class GallerySettings:
    hang_seconds: float = setting(
        10.0, Number(1, 3600), "no new frame for this long counts as a hang: restart"
    )
    start_seconds: float = setting(
        90.0, Number(1, 3600), "time a (re)started renderer has to show its first frame (model loading)"
    )
    restart_delay: float = setting(0.5, Number(0, 60), "wait before the first restart; doubles each crash")
    restart_delay_max: float = setting(30.0, Number(0, 3600), "longest wait between restarts")
    crash_window: float = setting(
        120.0,
        Number(1, 86400),
        "crashes within this many seconds count together; a calm run this long resets the wait",
    )
    crashes_per_step: int = setting(
        3,
        Integer(1, 100),
        "crashes within crash_window before the next safe step "
        "(embedded default model, then safe_resolution, then CPU)",
    )
    safe_resolution: int = setting(128, Integer(4, 8192), "max_resolution of the lower-resolution safe step")
    cpu_resolution: int = setting(
        256, Integer(0, 8192), "max_resolution when the renderer finds no GPU; 0 leaves the show's"
    )

    def __post_init__(self) -> None:
        for key in ("safe_resolution", "cpu_resolution"):
            res = getattr(self, key)
            if res and (res < 4 or res & (res - 1)):
                raise SchemaError((key,), f"expected a power of two from 4, got {res}")


@dataclass(frozen=True)
class ScheduleSettings:
    monday: tuple[Span, ...] = setting(ALWAYS, Hours(), "opening hours on Mondays")
    tuesday: tuple[Span, ...] = setting(ALWAYS, Hours(), "opening hours on Tuesdays")
    wednesday: tuple[Span, ...] = setting(ALWAYS, Hours(), "opening hours on Wednesdays")
    thursday: tuple[Span, ...] = setting(ALWAYS, Hours(), "opening hours on Thursdays")
    friday: tuple[Span, ...] = setting(ALWAYS, Hours(), "opening hours on Fridays")
    saturday: tuple[Span, ...] = setting(ALWAYS, Hours(), "opening hours on Saturdays")
    sunday: tuple[Span, ...] = setting(ALWAYS, Hours(), "opening hours on Sundays")
    closed_dates: tuple[tuple[dt.date, dt.date], ...] = setting(
        (), ListOf(Dates()), "dates (or ranges) closed all day; these win over special_hours"
    )
    special_hours: tuple[tuple[dt.date, tuple[Span, ...]], ...] = setting(
        (), ListOf(DatedHours()), "hours for particular dates, replacing their weekday's"
    )
    fade_seconds: float = setting(10.0, Number(0, 3600), "fade in after opening and out before closing")
    screen_off: bool = setting(True, Flag(), "turn the screen off while closed where the platform allows it")
    playlist: tuple[tuple[int, str], ...] = setting(
        (), ListOf(TimedScene()), "scenes recalled by time of day; each holds until the next entry"
    )

    def hours(self, weekday: int) -> tuple[Span, ...]:
        """The regular hours of weekday 0 (Monday) to 6."""
        return getattr(self, WEEKDAYS[weekday])


@dataclass(frozen=True)
class HealthSettings:
    enabled: bool = setting(True, Flag(), "serve GET /health (JSON) for monitoring")
    host: str = setting(
        "127.0.0.1", Address(), "address to listen on; anything but loopback opens it to the network"
    )
    port: int = setting(8787, Integer(0, 65535), "TCP port; 0 picks a free one (logged)")
    allow: tuple[Any, ...] = setting(
        (), ListOf(Network()), "sender networks allowed when listening beyond loopback; empty allows any"
    )


@dataclass(frozen=True)
class LoggingSettings:
    directory: Path | str = setting(
        "",
        Directory(),
        "folder for gallery.log, relative to the show file; empty: ~/.local/state/installation",
    )
    max_megabytes: float = setting(10.0, Number(0.01, 10000), "size at which the log rotates")
    backups: int = setting(5, Integer(0, 100), "rotated logs kept")
    level: str = setting("info", Choice(("debug", "info", "warning")), "least important messages kept")
    keep_errors: int = setting(20, Integer(1, 1000), "recent warnings and errors listed on the health page")
