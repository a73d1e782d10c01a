"""Opening hours as a pure function of local time: open or closed, how bright, which scene.

Nothing here reads the clock: callers pass a naive local `datetime` (tests pass any they like).
The day's hours come from, in order of precedence, `closed_dates`, `special_hours`, then the
weekday. Spans that touch join up, so a piece open "always" (or 20:00-24:00 then 00:00-02:00)
never fades at midnight. The picture fades in over `fade_seconds` after opening and out over
`fade_seconds` before closing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from installation.show.gallery_sections import ScheduleSettings, Span

# Opening hours are at most a day long plus one overnight spill, so a day either side of today
# is all that can reach into today; far enough to see past any fade (at most an hour).
_REACH = 1
_SEARCH_DAYS = 400  # how far `next_change` looks for an opening (closures can be long)


@dataclass(frozen=True)
class ScheduleState:
    open: bool
    level: float  # picture brightness: 0 black, 1 full
    scene: str | None  # the playlist's scene for this time of day, if any


class Schedule:
    def __init__(self, settings: ScheduleSettings) -> None:
        self.settings = settings
        self._special = dict(settings.special_hours)
        self._playlist = sorted(settings.playlist)

    def hours_on(self, day: dt.date) -> tuple[Span, ...]:
        if any(first <= day <= last for first, last in self.settings.closed_dates):
            return ()
        return self._special.get(day, self.settings.hours(day.weekday()))

    def _intervals(self, first: dt.date, last: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        """Open intervals starting on days first..last, joined where they touch or overlap."""
        spans = []
        day = first
        while day <= last:
            midnight = dt.datetime.combine(day, dt.time())
            for start, end in self.hours_on(day):
                if end <= start:  # past midnight
                    end += 24 * 60
                spans.append((midnight + dt.timedelta(minutes=start), midnight + dt.timedelta(minutes=end)))
            day += dt.timedelta(days=1)
        joined: list[tuple[dt.datetime, dt.datetime]] = []
        for start, end in sorted(spans):
            if joined and start <= joined[-1][1]:
                joined[-1] = (joined[-1][0], max(joined[-1][1], end))
            else:
                joined.append((start, end))
        return joined

    def _containing(self, now: dt.datetime) -> tuple[dt.datetime, dt.datetime] | None:
        today = now.date()
        reach = dt.timedelta(days=_REACH)
        for start, end in self._intervals(today - reach, today + reach):
            if start <= now < end:
                return start, end
        return None

    def is_open(self, now: dt.datetime) -> bool:
        return self._containing(now) is not None

    def level(self, now: dt.datetime) -> float:
        span = self._containing(now)
        if span is None:
            return 0.0
        fade = self.settings.fade_seconds
        if fade <= 0:
            return 1.0
        edge = min((now - span[0]).total_seconds(), (span[1] - now).total_seconds())
        return max(0.0, min(1.0, edge / fade))

    def scene(self, now: dt.datetime) -> str | None:
        """The last playlist entry at or before this time of day (yesterday's last before the first)."""
        if not self._playlist:
            return None
        minute = now.hour * 60 + now.minute
        current = self._playlist[-1]
        for entry in self._playlist:
            if entry[0] <= minute:
                current = entry
        return current[1]

    def next_change(self, now: dt.datetime) -> dt.datetime | None:
        """When the piece next closes (if open now) or opens (if closed); None if not within a year."""
        span = self._containing(now)
        if span is None:
            day = now.date()
            for week in range(0, _SEARCH_DAYS, 7):
                first = day + dt.timedelta(days=week - _REACH)
                for start, _ in self._intervals(first, first + dt.timedelta(days=7 + _REACH)):
                    if start > now:
                        return start
            return None
        # The span found was joined within a few days only: follow it while it carries on.
        end = span[1]
        while (end - now).days <= _SEARCH_DAYS:
            onward = self._containing(end)
            if onward is None:
                return end
            end = onward[1]
        return None

    def at(self, now: dt.datetime) -> ScheduleState:
        return ScheduleState(self.is_open(now), self.level(now), self.scene(now))
