"""The gallery's feed (fades, presented-frame count, problems on the HUD) and the schedule
follower, on a real SDL screen (dummy video driver) and a real show clock, at chosen times."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import numpy as np
import pytest

from installation.engine.clock import ShowClock
from installation.engine.frames import Frame, FramePair
from installation.gallery.feed import GalleryFeed
from installation.gallery.follower import CLOSED_FPS, ScheduleFollower
from installation.gallery.problems import Problems
from installation.gallery.schedule import Schedule
from installation.show.loader import parse_show


class FrameFeed:
    """A feed that has a new grey frame each time it is asked (a renderer at display rate)."""

    def __init__(self) -> None:
        self.clock = ShowClock()
        self.error = None
        self.serial = 0

    def pair_at(self, t: float) -> FramePair:
        self.serial += 1
        return FramePair(Frame(t, np.full((16, 16, 3), 200, np.uint8), 0, self.serial))

    def hud_lines(self, displayed_fps: float) -> list[str]:
        return [f"{displayed_fps:.0f} fps"]


@pytest.fixture(scope="module")
def screen():
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    from installation.display.screen import Screen, init_video

    init_video()
    screen = Screen(fullscreen=False, size=(64, 48), vsync=False)
    yield screen
    screen.close()


def test_frames_count_once_presented() -> None:
    feed = GalleryFeed(FrameFeed())
    assert feed.frames() == (0, None)
    feed.pair_at(0.0)
    assert feed.frames() == (0, None)  # handed out, not yet known to be on screen
    feed.pair_at(0.1)
    count, last = feed.frames()
    assert count == 1 and last is not None
    for i in range(10):
        feed.pair_at(0.2 + i)
    assert feed.frames()[0] == 11


def test_the_fade_goes_through_black_on_the_screen(screen) -> None:
    feed = GalleryFeed(FrameFeed())
    shown = {}
    for level in (1.0, 0.5, 0.0):
        feed.level = level
        shown[level] = int(screen.show(feed.pair_at(0.0), capture=True)[24, 32, 0])
    assert shown[1.0] == 200 and abs(shown[0.5] - 100) <= 2 and shown[0.0] == 0
    # A still black screen is one frame: the presenter does not redraw it.
    assert feed.pair_at(1.0).a.serial == feed.pair_at(2.0).a.serial < 0


def test_problems_reach_the_hud() -> None:
    listed = Problems()
    listed.inherit(["model missing: playing the embedded default model"])
    listed.report("no usable GPU")
    listed.report("no usable GPU")
    lines = GalleryFeed(FrameFeed(), listed).hud_lines(60.0)
    assert lines == ["60 fps", "! model missing: playing the embedded default model", "! no usable GPU"]


MON = dt.date(2026, 6, 1)  # a Monday


def follower_for(text: str, screen, recalled: list[str], recall=None) -> ScheduleFollower:
    from installation.display.presenter import Presenter

    show = parse_show(text, Path("/tmp/show.toml"))
    feed = GalleryFeed(FrameFeed())
    presenter = Presenter(screen, feed, fps=60.0)
    recall = recall or (lambda name: recalled.append(name) or name != "missing")
    return ScheduleFollower(Schedule(show.schedule), feed, feed.clock, presenter, recall=recall)


def test_closing_pauses_the_clock_and_slows_the_presenter(screen) -> None:
    recalled: list[str] = []
    f = follower_for('[schedule]\nmonday = "10:00-18:00"\nfade_seconds = 60', screen, recalled)
    f.step(dt.datetime.combine(MON, dt.time(12, 0)))
    assert not f.closed and f.feed.level == 1.0 and not f.clock.paused and f.presenter.fps == 60.0
    f.step(dt.datetime.combine(MON, dt.time(17, 59, 30)))
    assert f.feed.level == pytest.approx(0.5)
    f.step(dt.datetime.combine(MON, dt.time(18, 0)))
    assert f.closed and f.feed.level == 0.0 and f.clock.paused and f.presenter.fps == CLOSED_FPS
    f.step(dt.datetime.combine(MON, dt.time(10, 0)) + dt.timedelta(days=7))
    assert not f.closed and not f.clock.paused and f.presenter.fps == 60.0 and f.feed.level == 0.0


def test_a_pause_made_by_someone_else_survives_the_opening(screen) -> None:
    f = follower_for('[schedule]\nmonday = "10:00-18:00"', screen, [])
    f.clock.pause()  # the space key
    f.step(dt.datetime.combine(MON, dt.time(19, 0)))
    f.step(dt.datetime.combine(MON, dt.time(11, 0)) + dt.timedelta(days=7))
    assert f.clock.paused


def test_a_scene_that_cannot_be_recalled_yet_is_tried_again(screen) -> None:
    answers, tried = iter([None, None, True]), []
    f = follower_for(
        '[schedule]\nplaylist = ["09:00 dawn"]',
        screen,
        [],
        recall=lambda name: tried.append(name) or next(answers),
    )
    for minute in range(5):
        f.step(dt.datetime.combine(MON, dt.time(10, minute)))
    assert tried == ["dawn"] * 3


def test_the_playlist_recalls_each_scene_once(screen) -> None:
    recalled: list[str] = []
    f = follower_for('[schedule]\nplaylist = ["09:00 dawn", "12:00 missing", "18:00 dusk"]', screen, recalled)
    for clock in ("08:00", "08:30", "10:00", "11:00", "12:30", "13:00", "19:00"):
        h, m = map(int, clock.split(":"))
        f.step(dt.datetime.combine(MON, dt.time(h, m)))
    assert recalled == ["dusk", "dawn", "missing", "dusk"]
