"""Opening hours, exceptions, fades and the playlist, at chosen local times (no sleeping)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from installation.errors import UserError
from installation.gallery.schedule import Schedule
from installation.show.loader import parse_show

# 2026-06-01 is a Monday.
MON = dt.date(2026, 6, 1)


def at(day: dt.date, clock: str, days: int = 0) -> dt.datetime:
    h, m = map(int, clock.split(":"))
    return dt.datetime.combine(day + dt.timedelta(days=days), dt.time(h, m))


def schedule(text: str) -> Schedule:
    return Schedule(parse_show("[schedule]\n" + text, Path("/tmp/show.toml")).schedule)


def test_always_open_by_default_without_fades_at_midnight() -> None:
    s = schedule("")
    for moment in (at(MON, "00:00"), at(MON, "23:59"), at(MON, "12:00", days=3)):
        assert s.at(moment).open and s.level(moment) == 1.0
    assert s.next_change(at(MON, "12:00")) is None


def test_weekday_hours_and_fades() -> None:
    s = schedule('monday = "10:00-18:00"\ntuesday = "closed"\nfade_seconds = 600')
    assert not s.is_open(at(MON, "09:59"))
    assert s.level(at(MON, "10:00")) == 0.0
    assert s.level(at(MON, "10:05")) == pytest.approx(0.5)
    assert s.level(at(MON, "12:00")) == 1.0
    assert s.level(at(MON, "17:55")) == pytest.approx(0.5)
    assert not s.is_open(at(MON, "18:00"))
    assert not s.is_open(at(MON, "12:00", days=1))  # Tuesday closed
    assert s.next_change(at(MON, "12:00")) == at(MON, "18:00")
    assert s.next_change(at(MON, "19:00")) == at(MON, "00:00", days=2)  # Wednesday is open all day


def test_spans_past_midnight_and_split_days() -> None:
    s = schedule('monday = "10:00-13:00, 20:00-02:00"\ntuesday = "01:00-03:00"\nfade_seconds = 0')
    assert s.is_open(at(MON, "12:00")) and not s.is_open(at(MON, "14:00"))
    assert s.is_open(at(MON, "01:30", days=1))  # Monday's night runs into Tuesday's hours
    assert s.next_change(at(MON, "21:00")) == at(MON, "03:00", days=1)
    assert not s.is_open(at(MON, "03:00", days=1))


def test_touching_spans_do_not_fade() -> None:
    s = schedule('monday = "20:00-24:00"\ntuesday = "00:00-02:00"\nfade_seconds = 600')
    assert s.level(at(MON, "23:59")) == 1.0 and s.level(at(MON, "00:01", days=1)) == 1.0
    assert s.level(at(MON, "01:55", days=1)) == pytest.approx(0.5)


def test_closed_dates_win_over_special_hours_which_win_over_weekdays() -> None:
    s = schedule(
        'sunday = "closed"\nclosed_dates = ["2026-06-02", "2026-06-10..2026-06-12"]\n'
        'special_hours = ["2026-06-07 12:00-14:00", "2026-06-02 10:00-11:00"]'
    )
    assert not s.is_open(at(MON, "10:30", days=1))  # closed date beats the special hours
    assert all(not s.is_open(at(MON, "12:00", days=d)) for d in (9, 10, 11))
    assert s.is_open(at(MON, "12:00", days=12))
    assert s.is_open(at(MON, "13:00", days=6)) and not s.is_open(at(MON, "15:00", days=6))  # a special Sunday
    assert s.next_change(at(MON, "12:00", days=8)) == at(MON, "00:00", days=9)
    assert s.next_change(at(MON, "00:00", days=9)) == at(MON, "00:00", days=12)


def test_a_long_closure_still_finds_the_opening() -> None:
    s = schedule('closed_dates = ["2026-06-01..2026-09-30"]')
    assert s.next_change(at(MON, "12:00")) == dt.datetime(2026, 10, 1)


def test_playlist_follows_the_time_of_day() -> None:
    s = schedule('playlist = ["18:00 dusk", "09:00 dawn", "13:00 noon"]')
    assert s.scene(at(MON, "08:59")) == "dusk"  # yesterday's last entry holds until the first
    assert s.scene(at(MON, "09:00")) == "dawn"
    assert s.scene(at(MON, "17:59")) == "noon"
    assert s.scene(at(MON, "23:00")) == "dusk"
    assert schedule("").scene(at(MON, "12:00")) is None


@pytest.mark.parametrize(
    "line, message",
    [
        ('monday = "10-18"', 'schedule.monday: expected "closed", "always" or hours'),
        ('monday = "25:00-26:00"', "schedule.monday"),
        ('monday = "10:00-10:00"', "schedule.monday"),
        ('closed_dates = ["2026-13-01"]', "schedule.closed_dates[0]: expected a date"),
        ('closed_dates = ["2026-06-05..2026-06-01"]', "schedule.closed_dates[0]"),
        ('special_hours = ["2026-06-05"]', "schedule.special_hours[0]"),
        ('playlist = ["9am dawn"]', 'schedule.playlist[0]: expected "HH:MM scene-name"'),
    ],
)
def test_bad_schedules_name_the_key(line: str, message: str) -> None:
    with pytest.raises(UserError, match=message.replace("[", r"\[").replace("]", r"\]")):
        schedule(line)
