"""The renderer process that `run.py gallery` supervises (`python -m installation.gallery SHOW`).

It plays the show the way `run.py play` does, adapted to having nobody there: at the fallback
level the supervisor asks for, on the CPU at a lower resolution when there is no GPU, without a
keyboard quit. It reports each presented frame through the heartbeat, follows the schedule,
lists known problems on the HUD, and quits when the supervisor is gone.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
import threading
import time
from typing import Any

from installation.errors import CheckpointError, UserError
from installation.gallery import fallback, heartbeat
from installation.gallery.feed import GalleryFeed
from installation.gallery.follower import ScheduleFollower
from installation.gallery.power import ScreenPower
from installation.gallery.problems import SHOWN
from installation.gallery.schedule import Schedule
from installation.gallery.supervisor import REFUSED, UNADDRESSED
from installation.show.sections import Show
from installation.show.watcher import ShowWatcher

log = logging.getLogger(__name__)

LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"  # the supervisor adds the time as it relays
DISPLAY_POLL_S = 2.0  # how often a renderer waiting for its display looks again


def unattended(show: Show, level: int, cuda: bool) -> tuple[Show, list[str]]:
    """`show` as played at fallback `level` on this machine, with no keyboard quit; and the
    problems that brings (for the HUD)."""
    notes = []
    show = fallback.configuration(show, show.gallery, level)
    show = dataclasses.replace(show, display=dataclasses.replace(show.display, allow_quit=False))
    if show.render.device != "cpu" and not cuda:
        if show.render.device == "cuda":
            notes.append("the show asks for CUDA but there is no usable GPU: playing on the CPU")
        show = dataclasses.replace(show, render=dataclasses.replace(show.render, device="cpu"))
        show = fallback.limit_resolution(show, show.gallery.cpu_resolution)
    return show, notes


def wait_for_display(index: int | str) -> None:
    """Return once monitor `index` can be opened. A display missing at start-up (a projector
    still off, a second monitor unplugged, X not up yet at boot) is waited for, not crashed on:
    no safer configuration could bring it. Meanwhile the supervisor hears "waiting" and why."""
    from installation.display.errors import DisplayUnavailable
    from installation.display.screen import check_display

    said: dict[str, Any] = {}  # what the pulse tells the supervisor, updated in place
    sender = pulse = None
    orphaned = threading.Event()
    try:
        while True:
            try:
                check_display(index)
                return
            except DisplayUnavailable as error:
                problem = f"waiting for the display: {error.cause}"
            if said.get("waiting") != problem:
                log.warning("%s", problem)
                said.update(waiting=problem, problems=[*SHOWN.current(), problem])
            if pulse is None and (sender := heartbeat.Sender.from_environment()) is not None:
                pulse = heartbeat.Pulse(
                    sender,
                    lambda: (0, None),
                    paused=lambda: True,
                    status=lambda: dict(said),
                    on_orphaned=orphaned.set,
                ).start()
            if orphaned.wait(DISPLAY_POLL_S):
                raise SystemExit(0)
    finally:
        if pulse is not None:
            pulse.stop()
            sender.send(heartbeat.Beat(0, None, sent=time.monotonic()))  # waiting is over: starting
            sender.close()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m installation.gallery", description=__doc__)
    parser.add_argument("show")
    parser.add_argument(
        "--level", type=int, default=0, help="fallback level (see installation/gallery/fallback.py)"
    )
    parser.add_argument("--problem", action="append", default=[], help="a problem to list on the HUD")
    parser.add_argument("--restarts", type=int, default=0, help="renderers the supervisor restarted so far")
    parser.add_argument("--since", type=float, default=None, help="when the supervisor started (Unix time)")
    return parser


class Renderer:
    """What the gallery adds to a live show, attached by `play`'s setup hook. `restarts` and
    `since` are the supervisor's counts, for `status()`."""

    def __init__(self, level: int, cuda: bool, restarts: int = 0, since: float | None = None) -> None:
        self.level, self.cuda, self.restarts, self.since = level, cuda, restarts, since
        self.feed: GalleryFeed | None = None
        self.follower: ScheduleFollower | None = None
        self._live: Any = None
        self._presenter: Any = None

    def attach(self, live: Any, presenter: Any) -> None:
        global _attached
        _attached = self
        self._live, self._presenter = live, presenter
        self.feed = GalleryFeed(live)
        presenter.feed = self.feed
        self.follower = ScheduleFollower(
            Schedule(live.show.schedule),
            self.feed,
            live.clock,
            presenter,
            recall=self._recall,
            power=ScreenPower(),
        ).start()
        # Hot reload here rather than in `play`, so that an edited show keeps this level's changes.
        ShowWatcher(live.show, self._reload, on_error=live.report).start()
        live.on_reload.append(self._reloaded)
        sender = heartbeat.Sender.from_environment()
        if sender is None:
            log.warning("no heartbeat descriptor: running unsupervised")
            return
        heartbeat.Pulse(
            sender, self.feed.frames, paused=self.paused, status=self.status, on_orphaned=presenter.stop
        ).start()

    def _recall(self, scene: str) -> bool | None:
        """A playlist scene, through the control surfaces once `play` has started them."""
        return self._live.port.recall_scene(scene, "schedule")

    def _reload(self, show: Show) -> None:
        show, notes = unattended(show, self.level, self.cuda)
        for note in notes:
            SHOWN.report(note)
        self._live.reload(show)

    def _reloaded(self, show: Show) -> None:
        if self.follower is not None:
            self.follower.schedule = Schedule(show.schedule)

    def paused(self) -> bool:
        """Not presenting new frames on purpose: closed, or paused with the space key."""
        return bool(self.follower and self.follower.closed) or self._live.clock.paused

    def status(self) -> dict[str, Any]:
        live = self._live
        return {
            **live.frame_status(self._presenter.displayed_fps),
            "fallback_level": self.level,
            "restarts": self.restarts,
            "uptime_s": None if self.since is None else round(time.time() - self.since, 1),
            "closed": bool(self.follower and self.follower.closed),
            "inputs": live.port.inputs() or {},
            "outputs": {status.name: status.as_dict() for status in live.output_statuses()},
            "problems": SHOWN.current(),
        }


_attached: Renderer | None = None


def status() -> dict[str, Any]:
    """The piece's state as this renderer process knows it: frame rates, model, device, fallback
    level, restarts, schedule, inputs, problems. For OSC's /status and the like; {} outside
    `run.py gallery` (the supervisor's fuller view is its /health page)."""
    return _attached.status() if _attached is not None else {}


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("THP_MEM_ALLOC_ENABLE", "1")  # before torch loads (see installation/cli.py)
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT, stream=sys.stderr)
    SHOWN.inherit(args.problem)
    try:
        from installation.show.loader import load_show

        written = load_show(args.show)
        wait_for_display(written.display.screen)  # before torch: waiting costs next to nothing
        import torch

        from installation.live import play

        cuda = torch.cuda.is_available()
        show, notes = unattended(written, args.level, cuda)
        for note in notes:
            SHOWN.report(note)
        renderer = Renderer(args.level, cuda, args.restarts, args.since)
        # Visitors may reach a keyboard: `s` must not fill the disk.
        play(show, device=show.render.device, setup=renderer.attach, watch=False, screenshots=False)
    except CheckpointError as error:  # the supervisor reads this line and steps down at once
        print(f"error: {error}", file=sys.stderr)
        return REFUSED
    except UserError as error:  # no fallback step fixes what a user must: retried as it is
        print(f"error: {error}", file=sys.stderr)
        return UNADDRESSED
    return 0
