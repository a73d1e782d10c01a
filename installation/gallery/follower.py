"""The schedule applied to a running show: fades, a paused renderer while closed, the playlist.

While closed the show clock is paused, so the engine renders nothing (it holds the still frame it
has), the presenter refreshes a black screen a couple of times a second (enough to keep the
heartbeat), and the screen is switched off where the platform allows. At opening all of that is
undone, and the picture fades in from black.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable

from installation.gallery.feed import GalleryFeed
from installation.gallery.power import ScreenPower
from installation.gallery.schedule import Schedule

log = logging.getLogger(__name__)

CLOSED_FPS = 2.0  # presenter refreshes while closed: the heartbeat's pace, nothing more
TICK_S = 0.1  # fades move in steps this long at most


class ScheduleFollower:
    """Applies `schedule` to a live show. `step(now)` does one update at local time `now`
    (tests call it with any time they like); `start()` runs it on a thread with the real time.
    `recall(scene)` is True when recalled, False for a scene the show lacks, None while it
    cannot be done yet (tried again on the next step)."""

    def __init__(
        self,
        schedule: Schedule,
        feed: GalleryFeed,
        clock: object,  # the show clock: pause(), resume(), paused
        presenter: object,  # the display loop: its `fps`
        *,
        recall: Callable[[str], bool | None] | None = None,
        power: ScreenPower | None = None,
        now: Callable[[], dt.datetime] = dt.datetime.now,
    ) -> None:
        self.schedule, self.feed, self.clock, self.presenter = schedule, feed, clock, presenter
        self._recall, self._power, self._now = recall, power, now
        self.closed = False
        self._paused_clock = False
        self._open_fps: float | None = None
        self._scene: str | None = None
        self._stop = threading.Event()

    def step(self, now: dt.datetime) -> None:
        state = self.schedule.at(now)
        self.feed.level = state.level
        if not state.open and not self.closed:
            self._close(now)
        elif state.open and self.closed:
            self._open(now)
        if state.scene is not None and state.scene != self._scene and self._recall is not None:
            recalled = self._recall(state.scene)
            if recalled is None:  # the control surfaces are not up yet: again next tick
                return
            self._scene = state.scene  # once: a missing scene must not be retried each tick
            if recalled:
                log.info("playlist: scene %s", state.scene)
            else:
                log.warning("playlist: no scene %r in this show", state.scene)

    def _close(self, now: dt.datetime) -> None:
        self.closed = True
        if not self.clock.paused:
            self.clock.pause()
            self._paused_clock = True
        self._open_fps, self.presenter.fps = self.presenter.fps, CLOSED_FPS
        if self._power is not None and self.schedule.settings.screen_off:
            self._power.off()
        reopens = self.schedule.next_change(now)
        until = (
            f"until {reopens:%a %Y-%m-%d %H:%M}" if reopens else "with no opening hours in the coming year"
        )
        log.info("closed (%s): rendering paused %s", now.strftime("%a %H:%M"), until)

    def _open(self, now: dt.datetime) -> None:
        self.closed = False
        if self._power is not None and self.schedule.settings.screen_off:
            self._power.on()
        if self._paused_clock:  # a pause someone else made (the space key) stays
            self.clock.resume()
            self._paused_clock = False
        if self._open_fps is not None:
            self.presenter.fps = self._open_fps
        log.info("open (%s): rendering again", now.strftime("%a %H:%M"))

    def start(self) -> ScheduleFollower:
        self.step(self._now())
        threading.Thread(target=self._run, name="schedule", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(TICK_S):
            try:
                self.step(self._now())
            except Exception:  # a failing recall or screen switch must not end the schedule
                log.exception("schedule step failed")
