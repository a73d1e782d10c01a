"""The display loop: show the engine's frames at the screen's pace, handle the keyboard.

It runs in the main thread (SDL wants that) and never waits on the engine or on I/O: each
refresh takes whatever frames exist for the current show time, and a screenshot is written
by a thread of its own.
"""

from __future__ import annotations

import collections
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from installation.display.hud import Hud
from installation.display.keys import action_of
from installation.display.screen import Screen
from installation.engine.clock import ShowClock
from installation.engine.frames import FramePair
from installation.timing import process_age_s

log = logging.getLogger(__name__)

FPS_WINDOW_S = 1.0  # displayed fps: the refreshes presented within this last stretch of time


def screenshot_directory() -> Path:
    """Where the `s` key saves: $XDG_DATA_HOME/installation/screenshots (~/.local/share/...)."""
    data = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(data) / "installation" / "screenshots"


class Feed(Protocol):
    """What the presenter shows: frames by show time, the clock, text for the HUD, and an
    error that ends the show (the engine's thread failed)."""

    clock: ShowClock

    def pair_at(self, t: float) -> FramePair | None: ...

    def hud_lines(self, displayed_fps: float) -> list[str]: ...

    @property
    def error(self) -> BaseException | None: ...


@dataclass(frozen=True)
class Presented:
    """The last picture put on screen: when (time.monotonic()), for which show time, the
    engine input version of its newest frame (-1 while there is no frame yet), and how many
    refreshes the presenter has made (a heartbeat's frame count)."""

    wall: float
    t: float
    version: int
    count: int


@dataclass(frozen=True)
class DrawTimes:
    """The screen's draws since the start: how many, their wall time and the display thread's
    CPU time in them (the rest is SDL and the display server at work, or waiting for a core)."""

    draws: int = 0
    wall_s: float = 0.0
    cpu_s: float = 0.0


class Presenter:
    """`actions` adds or overrides what keys do by action name (see keys.py): 'pause',
    'previous', 'next', 'record' come from the live show. Every key event also goes to each of
    `key_handlers(event)`, for show-defined bindings. `screenshots`: the folder the `s` key
    saves the screen into; None turns the key off (a gallery, where visitors reach the keys).
    Without a `screen` (headless) it only paces the feed, whose frames the outputs tap."""

    def __init__(
        self,
        screen: Screen | None,
        feed: Feed,
        *,
        fps: float = 60.0,
        hud: bool = False,
        allow_quit: bool = True,
        screenshots: Path | None = None,
        actions: Mapping[str, Callable[[], None]] | None = None,
    ) -> None:
        self.screen = screen
        self.feed = feed
        self.fps = fps
        self.hud_on = hud
        self.allow_quit = allow_quit
        self.screenshots = screenshots
        self.key_handlers: list[Callable[[object], None]] = []
        self.presented: Presented | None = None
        self.displayed_fps = 0.0  # refreshes actually presented per second, over FPS_WINDOW_S
        self._actions = {
            "hud": self._toggle_hud,
            "fullscreen": self._toggle_fullscreen,
            "screenshot": self._screenshot,
            "quit": self._quit,
            **(actions or {}),
        }
        self._hud = Hud() if screen is not None else None
        self._running = False
        self._pair: FramePair | None = None
        self._drawn: tuple | None = None
        self._refreshes: collections.deque[float] = collections.deque()  # when each was presented
        self._started = self._created = time.monotonic()
        self._capture = False  # the next refresh is read back for a screenshot
        self._said_off = False
        self.draw_times = DrawTimes()
        self.first_frame_s: float | None = None  # seconds from the process's start to the first frame

    def run(self, seconds: float | None = None) -> None:
        """Present until quit (a key, the window closed), or for `seconds`. Raises the feed's
        error if the engine fails."""
        start = due = time.monotonic()
        if self.presented is None:  # the fps window opens with the first refresh
            self._started = start
        self._running = True
        while self._running:
            self._handle_events()
            if self.feed.error is not None:
                raise self.feed.error
            now = time.monotonic()
            self._present(now)
            if seconds is not None and now - start >= seconds:
                break
            due += 1 / self.fps
            if due < now - 1 / self.fps:  # fell behind (a slow draw): do not try to catch up
                due = now
            time.sleep(max(0.0, due - time.monotonic()))

    def stop(self) -> None:
        self._running = False

    def _present(self, now: float) -> None:
        t = self.feed.clock.now()
        pair = self.feed.pair_at(t)
        self._pair = pair
        if pair is not None and self.first_frame_s is None:
            self._first_frame()
        if self.screen is None or self._draw(pair, now):  # headless: every paced tick counts
            self._refreshes.append(now)
        while self._refreshes and self._refreshes[0] <= now - FPS_WINDOW_S:
            self._refreshes.popleft()
        span = min(FPS_WINDOW_S, now - self._started)
        self.displayed_fps = len(self._refreshes) / span if span > 0 else 0.0
        last = self.presented
        self.presented = Presented(now, t, pair.newest.version if pair else -1, last.count + 1 if last else 1)

    def _first_frame(self) -> None:
        """Note when the show's first frame came: what a first start (or a restart) costs."""
        age = process_age_s()
        self.first_frame_s = age if age is not None else time.monotonic() - self._created
        since = "the process started" if age is not None else "the display opened"
        log.info("first frame %.1f s after %s", self.first_frame_s, since)

    def _draw(self, pair: FramePair | None, now: float) -> bool:
        """Draw `pair` unless the picture on screen is the same (paused, held); True if drawn."""
        overlay = self._hud.surface(self.feed.hud_lines(self.displayed_fps), now) if self.hud_on else None
        state = (
            pair and (pair.a.serial, pair.b and pair.b.serial, round(pair.alpha * 255)),
            id(overlay),
            self.screen.size,
        )
        if state == self._drawn and not self._capture:
            return False
        wall, cpu = time.perf_counter(), time.thread_time()
        picture = self.screen.show(pair, overlay, capture=self._capture)
        times = self.draw_times
        self.draw_times = DrawTimes(
            times.draws + 1, times.wall_s + time.perf_counter() - wall, times.cpu_s + time.thread_time() - cpu
        )
        self._drawn = state
        if picture is not None:
            self._capture = False
            self._save(picture)
        return True

    def _handle_events(self) -> None:
        if self.screen is None:
            return
        import pygame

        for event in pygame.event.get():
            if event.type == pygame.QUIT:
                self._running = False
            elif event.type in (pygame.KEYDOWN, pygame.KEYUP):
                if event.type == pygame.KEYDOWN:
                    action = self._actions.get(action_of(pygame.key.name(event.key)) or "")
                    if action is not None:
                        action()
                for handler in self.key_handlers:
                    handler(event)

    def _toggle_hud(self) -> None:
        self.hud_on = not self.hud_on
        self._drawn = None

    def _toggle_fullscreen(self) -> None:
        self.screen.set_fullscreen(not self.screen.fullscreen)
        self._drawn = None

    def _quit(self) -> None:
        if self.allow_quit:
            self._running = False
        else:
            log.info("this show does not quit from the keyboard (display.allow_quit = false)")

    def _screenshot(self) -> None:
        """Save the next refresh as the screen shows it (window size, HUD included)."""
        if self.screenshots is not None:
            self._capture = True
        elif not self._said_off:
            self._said_off = True
            log.info("screenshots are off here (a gallery: visitors can reach the keyboard)")

    def _save(self, picture) -> None:
        """Write a read-back picture as a PNG, off the loop."""
        from installation.model.imaging import write_png

        path = self.screenshots / time.strftime(f"%Y%m%d-%H%M%S-{int(time.time() * 1000) % 1000:03d}.png")
        threading.Thread(
            target=self._write, args=(write_png, path, picture), name="screenshot", daemon=True
        ).start()

    @staticmethod
    def _write(write_png, path: Path, image) -> None:
        try:
            write_png(path, image)
            log.info("screenshot: %s", path)
        except Exception as error:  # noqa: BLE001 - a full disk must not end the show
            log.warning("screenshot not written: %s", error)
