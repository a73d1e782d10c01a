"""`run.py gallery SHOW` put together: the show, the log, the health page, the supervisor.

Runs in the supervising process. Each (re)start of the renderer plays the best show available
right then (`showfile.resolve`), at the supervisor's fallback level, and is told the problems
found on the way so the HUD can show them. A watcher thread notices when the show or its model
is fixed, and then restarts the renderer on the full configuration.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from installation.gallery import fallback, showfile
from installation.gallery.health import HealthServer
from installation.gallery.logs import RecentErrors, configure
from installation.gallery.schedule import Schedule
from installation.gallery.sdnotify import Notifier
from installation.gallery.supervisor import Supervisor
from installation.instance import single_instance
from installation.show.sections import DEFAULT_MODEL, Show

log = logging.getLogger(__name__)

WATCH_SECONDS = 1.0
RETRY_WHEN_CLOSED_S = 60.0  # a step-down is undone once the piece has been closed this long


def _stat(path: Path | str) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except (OSError, ValueError):
        return None
    return stat.st_size, stat.st_mtime_ns


def _model_of(show: Show) -> Path | None:
    return None if show.model.path == DEFAULT_MODEL else Path(show.model.path)


class Gallery:
    """Supervises the renderer for the show at `path` until SIGTERM / SIGINT (or `stop()`)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path).expanduser().resolve()
        self._lock = threading.Lock()
        self._last_good: str | None = None
        self._resolved = self._resolve()
        self._playing = self._resolved  # what the running renderer was started with
        show = self._resolved.show
        self._recent = RecentErrors()
        self._logging = show.logging
        self._file_log = configure(show.logging, self._recent)
        self.supervisor = Supervisor(
            self._launch, show.gallery, next_level=self._next_level, notifier=Notifier()
        )
        self.health: HealthServer | None = None
        self._health_key: tuple | None = None
        self._closed_since: float | None = None

    # -- what the renderer plays ---------------------------------------------------------------

    def _resolve(self) -> showfile.Resolved:
        resolved = showfile.resolve(self.path, self._last_good)
        if resolved.original:
            self._last_good = resolved.text
        return resolved

    @property
    def show(self) -> Show:
        return self._resolved.show

    def _launch(self, level: int) -> list[str]:
        with self._lock:
            self._resolved = self._playing = resolved = self._resolve()
        notes = list(resolved.problems)
        if level:
            last = self.supervisor.restarts[-1].cause if self.supervisor.restarts else "unknown"
            notes.append(f"the renderer failed ({last}); now running with: {fallback.describe(level)}")
        args = [
            sys.executable,
            "-m",
            "installation.gallery",
            str(resolved.path),
            "--level",
            str(level),
            "--restarts",
            str(self.supervisor.restart_count),
            "--since",
            str(self.supervisor.started_at),
        ]
        for note in notes:
            args += ["--problem", note]
        return args

    def _next_level(self, level: int, status: dict[str, Any]) -> int:
        return fallback.next_level(self.show, self.show.gallery, level, on_cpu=status.get("device") == "cpu")

    # -- keeping up with the show file ---------------------------------------------------------

    def _files(self) -> tuple:
        model = _model_of(self.show)
        return _stat(self.path), model and _stat(model)

    def _watch(self) -> None:
        seen = self._files()
        while not self.supervisor.stopped.wait(WATCH_SECONDS):
            try:
                now = self._files()
                if now != seen:
                    seen = now
                    self._show_changed()
                self._retry_full_when_closed()
            except Exception:  # the watcher must outlive any one bad edit
                log.exception("gallery watcher")

    def _show_changed(self) -> None:
        with self._lock:
            self._resolved = resolved = self._resolve()
        if not resolved.original:
            log.warning("show file changed but cannot be played as written; the renderer keeps what it has")
            return
        show = resolved.show
        self.supervisor.configure(show.gallery)
        self._start_health(show)
        self._reconfigure_logging(show)
        # The running renderer reloads an edited show by itself; it must be restarted when it
        # plays a stand-in or a safer configuration, which the fixed show may not need.
        if not self._playing.original or self.supervisor.level:
            self.supervisor.restart("show or model file fixed: playing it as written", level=0)

    def _retry_full_when_closed(self) -> None:
        """While nobody is looking (closed hours), try the full configuration again."""
        status = self.supervisor.status()
        if not status["paused"] or not self.supervisor.level:
            self._closed_since = None
            return
        now = time.monotonic()
        self._closed_since = self._closed_since or now
        if now - self._closed_since > RETRY_WHEN_CLOSED_S:
            self._closed_since = None
            self.supervisor.restart("closed: trying the full configuration again", level=0)

    def _reconfigure_logging(self, show: Show) -> None:
        if show.logging == self._logging:
            return
        self._logging = show.logging
        logging.getLogger().removeHandler(self._file_log)
        self._file_log.close()
        self._file_log = configure(show.logging, self._recent)

    # -- the health page -----------------------------------------------------------------------

    def _start_health(self, show: Show) -> None:
        settings = show.health
        key = (settings.enabled, settings.host, settings.port, settings.allow)
        if key == self._health_key:
            return
        self._health_key = key
        if self.health is not None:
            self.health.close()
            self.health = None
        if not settings.enabled:
            return
        try:
            self.health = HealthServer(self.status, settings.host, settings.port, settings.allow).start()
        except OSError as error:
            log.error("health page not served on %s:%d: %s", settings.host, settings.port, error)
            return
        exposure = (
            ""
            if self.health.host.startswith("127.") or self.health.host == "::1"
            else " (open to the network)"
        )
        log.info("health page: %s%s", self.health.url, exposure)

    def status(self) -> dict[str, Any]:
        sup = self.supervisor.status()
        child = self.supervisor.child_status()
        show = self.show
        now = dt.datetime.now()
        schedule = Schedule(show.schedule)
        state = schedule.at(now)
        upcoming = schedule.next_change(now)
        return {
            "show": show.info.name,
            "show_file": str(self.path),
            **sup,
            "fallback": fallback.describe(self.supervisor.level),
            "fps": child.get("fps"),
            "rendered_fps": child.get("rendered_fps"),
            "model": child.get("model"),
            "device": child.get("device"),
            "resolution": child.get("resolution"),
            "inputs": child.get("inputs", {}),
            "outputs": child.get("outputs", {}),  # per output: state, fps, sent, dropped
            "schedule": {
                "open": state.open,
                "level": round(state.level, 3),
                "scene": state.scene,
                "next_change": upcoming.isoformat(timespec="minutes") if upcoming else None,
            },
            # The renderer lists the problems it was started with, and its own.
            "problems": list(
                dict.fromkeys(
                    [
                        *self._resolved.problems,
                        *child.get("problems", []),
                        *(
                            [f"the renderer cannot start: {fault}"]
                            if (fault := self.supervisor.fault)
                            else []
                        ),
                    ]
                )
            ),
            "recent_errors": self._recent.recent(),
        }

    # -- running -------------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop the piece (safe in a signal handler)."""
        self.supervisor.stop()

    def run(self) -> int:
        """Supervise until stopped; UserError at once if this show (or a port of it) is already
        playing."""
        with single_instance(self.show, gallery=True):
            return self._run()

    def _run(self) -> int:
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, lambda *_: self.stop())
        self._start_health(self.show)
        watcher = threading.Thread(target=self._watch, name="gallery-watcher", daemon=True)
        watcher.start()
        log.info("gallery: supervising %s", self.path)
        try:
            return self.supervisor.run()
        finally:
            self.supervisor.stop()  # ends the watcher too
            if self.health is not None:
                self.health.close()
            self._file_log.close()
