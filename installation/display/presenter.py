"""The display loop: show the engine's frames at the screen's pace, handle the keyboard.

It runs in the main thread (SDL wants that) and never waits on the engine or on I/O: each
refresh takes whatever frames exist for the current show time, and a screenshot is written
by a thread of its own.
"""

from __future__ import annotations

import logging
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
from installation.engine.frames import FramePair, blend

log = logging.getLogger(__name__)

FPS_SMOOTHING = 0.05  # weight of the newest refresh interval in the displayed-fps average


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


class Presenter:
    """`actions` adds or overrides what keys do by action name (see keys.py): 'pause',
    'previous', 'next', 'record' come from the live show. Every key event also goes to each of
    `key_handlers(event)`, for show-defined bindings. Without a `screen` (headless) it only
    paces the feed, whose frames the outputs tap."""

    def __init__(
        self,
        screen: Screen | None,
        feed: Feed,
        *,
        fps: float = 60.0,
        hud: bool = False,
        allow_quit: bool = True,
        screenshots: Path = Path("screenshots"),
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
        self.displayed_fps = 0.0
        self._actions = {
            "hud": self._toggle_hud,
            "fullscreen": self._toggle_fullscreen,
            "screenshot": self._screenshot,
            "quit": self._quit,
            **(actions or {}),
        }
        self._hud = Hud(screen.renderer) if screen is not None else None
        self._running = False
        self._pair: FramePair | None = None
        self._drawn: tuple | None = None

    def run(self, seconds: float | None = None) -> None:
        """Present until quit (a key, the window closed), or for `seconds`. Raises the feed's
        error if the engine fails."""
        start = due = time.monotonic()
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
        if self.screen is not None:
            self._draw(pair, now)
        last = self.presented
        if last is not None and now > last.wall:
            self.displayed_fps += FPS_SMOOTHING * (1 / (now - last.wall) - self.displayed_fps)
        self.presented = Presented(now, t, pair.newest.version if pair else -1, last.count + 1 if last else 1)

    def _draw(self, pair: FramePair | None, now: float) -> None:
        overlay = self._hud.texture(self.feed.hud_lines(self.displayed_fps), now) if self.hud_on else None
        state = (
            pair and (pair.a.serial, pair.b and pair.b.serial, round(pair.alpha * 255)),
            id(overlay),
            self.screen.size,
        )
        if state != self._drawn:  # a still picture (paused, held) is not redrawn
            self.screen.show(pair, overlay)
            self._drawn = state

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
        """The picture on screen at the frames' own resolution, as a PNG, written off the loop."""
        if self._pair is None:
            return
        from installation.model.imaging import write_png

        image = blend(self._pair)
        path = self.screenshots / time.strftime(f"%Y%m%d-%H%M%S-{int(time.time() * 1000) % 1000:03d}.png")
        threading.Thread(
            target=self._write, args=(write_png, path, image), name="screenshot", daemon=True
        ).start()

    @staticmethod
    def _write(write_png, path: Path, image) -> None:
        try:
            write_png(path, image)
            log.info("screenshot: %s", path)
        except Exception as error:  # noqa: BLE001 - a full disk must not end the show
            log.warning("screenshot not written: %s", error)
