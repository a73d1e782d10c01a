"""Keeps a renderer process alive: start it, watch its heartbeat, restart it when it dies or hangs.

The renderer is a child process so that anything it can do wrong (a segfault in a driver, a
deadlock, memory that leaks) ends with the process, and a fresh one is started. Restarts wait
with exponential backoff; crashes in quick succession step down to safer configurations
(`fallback.py`). Every restart is logged with its cause: the exit code, the signal, or the hang.
The child's output is relayed line by line into our log, so one file tells the whole story.
"""

from __future__ import annotations

import collections
import logging
import os
import re
import select
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from installation.gallery import heartbeat
from installation.gallery.logs import CONTINUED
from installation.gallery.restarts import RestartPolicy
from installation.gallery.sdnotify import Notifier, child_environment, watchdog_interval
from installation.show.gallery_sections import GallerySettings

log = logging.getLogger(__name__)
renderer_log = logging.getLogger("renderer")

POLL_SECONDS = 0.1
SILENT_S = 2.0  # beats come four times a second: this long without one, the process itself is stuck
STOP_GRACE_SECONDS = 5.0
LINE_BYTES = 4096  # a longer line from the child is cut: the relay never holds more than this
HISTORY = 20  # restarts remembered for the health page
REFUSED = 3  # a renderer's exit code for a configuration it refuses (a hostile or broken model)
UNADDRESSED = 2  # its code for a fault no safer configuration fixes (a user error: a port, a file)
_LEVEL = re.compile(rb"(?:\S+ \S+ )?(DEBUG|INFO|WARNING|ERROR|CRITICAL)\b")


class StopFlag:
    """A stop request that may come from a signal handler. It takes no lock: a handler runs in
    the middle of whatever the main thread was doing, and taking a lock that code holds (an
    Event's, a logger's) would deadlock. Waiters select on a pipe that setting makes readable."""

    def __init__(self) -> None:
        self._read, self._write = os.pipe()
        os.set_blocking(self._write, False)
        self._set = False

    def set(self) -> None:
        self._set = True
        try:
            os.write(self._write, b"!")  # never read: the pipe stays readable for every waiter
        except BlockingIOError:
            pass

    def is_set(self) -> bool:
        return self._set

    def fileno(self) -> int:
        return self._read

    def wait(self, timeout: float) -> bool:
        """Sleep up to `timeout` seconds, less if stopped; whether it is stopped."""
        if not self._set:
            select.select([self._read], [], [], timeout)
        return self._set


@dataclass(frozen=True)
class Ended:
    """How a renderer's run ended. `refused`: it rejected its configuration (a broken model), so
    trying the same again is pointless; `unaddressed`: a fault that no fallback step would fix,
    retried as it is; `requested`: `restart()` asked for it, no failure."""

    cause: str
    ran_for: float
    refused: bool = False
    unaddressed: bool = False
    requested: bool = False


@dataclass(frozen=True)
class Restart:
    at: float  # wall-clock time
    cause: str
    delay: float
    level: int


def exit_cause(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exited with code {returncode}"


def hang_cause(
    now: float,
    started: float,
    received_at: float | None,
    beat: heartbeat.Beat | None,
    resumed_at: float,
    settings: GallerySettings,
) -> str | None:
    """Why a living renderer counts as hung, or None while it is doing its job.

    It must present a first frame within `start_seconds` (of its start, or of the end of a wait
    for its display); after that, beat at least every `hang_seconds` and, unless it is paused on
    purpose, present a frame newer than that. Time spent paused does not count: `resumed_at` is
    when it last stopped being paused (or waiting). The cause says whether the whole process
    went quiet (stopped, frozen) or only its frames stopped.
    """
    quiet = now - received_at if received_at is not None else 0.0
    if beat is None or beat.last_frame is None:
        if beat is not None and beat.status.get("waiting"):
            return f"hang: no heartbeat for {quiet:.1f} s" if quiet > settings.hang_seconds else None
        if now - max(started, resumed_at) > settings.start_seconds:
            return f"hang: no first frame within {settings.start_seconds:g} s"
        return None
    age = now - max(beat.last_frame, resumed_at)
    if quiet <= settings.hang_seconds and (beat.paused or age <= settings.hang_seconds):
        return None
    if quiet > min(SILENT_S, settings.hang_seconds / 2):
        return f"hang: no heartbeat for {quiet:.1f} s"
    return f"hang: no frame presented for {age:.1f} s"


def _relay(stream: Any, errors: collections.deque[str]) -> None:
    """Child output -> our log, at the level each line names (continuation lines: the last one).
    Warnings and errors are also kept in `errors`, to explain an exit."""
    level = logging.INFO
    with stream:
        for line in iter(lambda: stream.readline(LINE_BYTES), b""):
            match = _LEVEL.match(line)
            continued = False
            if match:
                level = logging.getLevelName(match.group(1).decode())
                line = line[match.end() :].lstrip(b" ")
            elif line.startswith(b"error: "):  # the CLI's one-line report of a UserError
                level = logging.ERROR
            else:  # a traceback's lines, say: one record in the log's reading, not many errors
                continued = True
            text = line.decode("utf-8", "replace").rstrip()
            if text:
                renderer_log.log(level, "%s", text, extra={CONTINUED: continued})
                if level >= logging.WARNING:
                    errors.append(text)


class Supervisor:
    """Runs `launch(level)` (an argv) until `stop()`, restarting it as needed.

    `next_level(level, status)` gives the fallback level after repeated crashes (the default
    never steps down). The child finds its heartbeat socket in INSTALLATION_HEARTBEAT_FD.
    """

    def __init__(
        self,
        launch: Callable[[int], list[str]],
        settings: GallerySettings,
        *,
        next_level: Callable[[int, dict[str, Any]], int] = lambda level, status: level,
        notifier: Notifier | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.settings = settings
        self.level = 0
        self.restarts: collections.deque[Restart] = collections.deque(maxlen=HISTORY)
        self.restart_count = 0
        self.frames_before = 0  # frames presented by renderers that have since exited
        self.started_at = time.time()
        self._launch, self._next_level = launch, next_level
        self._notifier = notifier or Notifier(address="")
        self._env = child_environment(dict(os.environ if env is None else env))
        self._policy = RestartPolicy(settings)
        self.stopped = StopFlag()
        self._restart_now: str | None = None
        self._lock = threading.Lock()
        self._child: subprocess.Popen | None = None
        self._child_errors: collections.deque[str] = collections.deque(maxlen=3)
        self._relay: threading.Thread | None = None
        self._receiver: heartbeat.Receiver | None = None
        self._child_started = 0.0
        self._resumed_at = 0.0
        self._ready_sent = False
        self._first_frame_at: float | None = None
        self._exited_at: float | None = None
        self.last_recovery_s: float | None = None  # from a renderer's end to its successor's first frame
        self.fault: str | None = None  # why renderers fail without a step that could help, until one plays
        self._last_watchdog = 0.0
        self._watchdog_every = min(watchdog_interval() or 1.0, 1.0)
        self.state = "starting"

    # -- control, from any thread -------------------------------------------------------------

    def stop(self) -> None:
        """Stop supervising (safe in a signal handler): the renderer is ended, `run` returns."""
        self.stopped.set()

    def restart(self, cause: str, level: int | None = None) -> None:
        """Ask for a restart of the renderer (optionally at another fallback level)."""
        with self._lock:
            self._restart_now = cause
            if level is not None:
                self.level = level
                self._policy.reset()

    def configure(self, settings: GallerySettings) -> None:
        """New settings from a reloaded show; the crash count starts again."""
        with self._lock:
            self.settings = settings
            self._policy = RestartPolicy(settings)

    # -- the loop -----------------------------------------------------------------------------

    def run(self) -> int:
        """Supervise until `stop()`; returns 0."""
        while not self.stopped.is_set():
            ended = self._run_child()
            if self.stopped.is_set():
                break
            self._after_exit(ended)
        self._notifier.stopping()
        log.info("stopped supervising")
        return 0

    def _spawn(self) -> None:
        ours, theirs = heartbeat.channel()
        env = dict(self._env, **{heartbeat.FD_ENV: str(theirs.fileno())})
        argv = self._launch(self.level)
        log.info("starting renderer (fallback: level %d): %s", self.level, " ".join(argv))
        try:
            self._child = subprocess.Popen(
                argv,
                env=env,
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError:
            ours.close()
            raise
        finally:
            theirs.close()
        self._receiver = heartbeat.Receiver(ours)
        self._child_started = self._resumed_at = time.monotonic()
        self._first_frame_at = None
        self._child_errors.clear()
        self._relay = threading.Thread(
            target=_relay, args=(self._child.stdout, self._child_errors), name="renderer-output", daemon=True
        )
        self._relay.start()
        self.state = "starting"

    def _run_child(self) -> Ended:
        """Start a child and watch it until it exits, hangs or is asked to restart."""
        try:
            self._spawn()
        except OSError as error:
            return Ended(f"could not start: {error}", 0.0)
        assert self._child is not None and self._receiver is not None
        try:
            while True:
                ran_for = time.monotonic() - self._child_started
                if self.stopped.is_set():
                    self._terminate()
                    return Ended("stopped", ran_for, requested=True)
                select.select([self._receiver, self.stopped], [], [], POLL_SECONDS)
                self._take_beats()
                code = self._child.poll()
                if code is not None:
                    cause = self._explain(code)
                    return Ended(cause, ran_for, refused=code == REFUSED, unaddressed=code == UNADDRESSED)
                with self._lock:
                    requested, self._restart_now = self._restart_now, None
                if requested:
                    self._terminate()
                    return Ended(requested, ran_for, requested=True)
                hang = hang_cause(
                    time.monotonic(),
                    self._child_started,
                    self._receiver.received_at,
                    self._receiver.latest,
                    self._resumed_at,
                    self.settings,
                )
                if hang:
                    # A hung or stopped process cannot be trusted to act on anything gentler.
                    self._signal(signal.SIGKILL)
                    self._child.wait()
                    return Ended(hang, ran_for)
        finally:
            self._exited_at = time.monotonic()
            self._receiver.close()
            latest = self._receiver.latest
            self.frames_before += latest.frames if latest is not None else 0

    def _take_beats(self) -> None:
        assert self._receiver is not None
        before = self._receiver.latest
        beat = self._receiver.drain()
        if beat is None:
            return
        now = time.monotonic()
        if before is not None and before.paused and not beat.paused:
            self._resumed_at = now
        if beat.last_frame is None:
            waiting = beat.status.get("waiting")
            if waiting and self.state != "waiting":
                self._notifier.status(f"waiting: {waiting}")
            self.state = "waiting" if waiting else "starting"
            return
        state = "paused" if beat.paused else "playing"
        if self._first_frame_at is None:
            self._first_frame_at = now
            self.fault = None  # whatever kept the renderers from starting is gone
            since = f", {now - self._exited_at:.1f} s after the last one ended" if self._exited_at else ""
            log.info(
                "renderer presented its first frame %.1f s after its start%s",
                now - self._child_started,
                since,
            )
            if self._exited_at:
                self.last_recovery_s = now - self._exited_at
        if not self._ready_sent:
            self._ready_sent = True
            self._notifier.ready(f"{state}, fallback level {self.level}")
        elif state != self.state:
            self._notifier.status(f"{state}, fallback level {self.level}")
        self.state = state
        # Only a fresh frame (or a renderer idling on purpose) feeds systemd's watchdog; pings
        # stop at half the hang time, before the supervisor itself gives up on the renderer.
        fresh = beat.paused or now - beat.last_frame <= self.settings.hang_seconds / 2
        if fresh and now - self._last_watchdog >= self._watchdog_every:
            self._notifier.watchdog()
            self._last_watchdog = now

    def _explain(self, code: int) -> str:
        """The exit, with the last error the child printed (what a curator needs to fix it)."""
        self._relay.join(timeout=1.0)  # the child's last lines explain its end
        last = self._child_errors[-1] if self._child_errors else ""
        return exit_cause(code) + (f" ({last})" if last else "")

    def _after_exit(self, ended: Ended) -> None:
        with self._lock:
            if ended.requested:
                delay = 0.0
            else:
                # A fault no step addresses keeps the show as it is: it is waited out, and named.
                steppable = not ended.unaddressed
                decision = self._policy.crashed(time.monotonic(), ended.ran_for, steppable=steppable)
                delay = decision.delay
                if decision.step_down or ended.refused:
                    self._step_down(ended.refused)
                if ended.unaddressed:
                    self.fault = ended.cause
            self.restarts.append(Restart(time.time(), ended.cause, delay, self.level))
            self.restart_count += 1
        self.state = "restarting"
        self._notifier.status(f"restarting: {ended.cause}")
        log.log(
            logging.INFO if ended.requested else logging.ERROR,
            "renderer %s after %.1f s; restart #%d in %.1f s",
            ended.cause,
            ended.ran_for,
            self.restart_count,
            delay,
        )
        self.stopped.wait(delay)

    def _step_down(self, refused: bool) -> None:
        level = self._next_level(self.level, self.child_status())
        if level != self.level:
            why = (
                "it refused its configuration"
                if refused
                else (f"{self.settings.crashes_per_step} crashes within {self.settings.crash_window:g} s")
            )
            log.error("renderer: %s; stepping down to fallback level %d", why, level)
        self.level = level

    # -- ending a child -----------------------------------------------------------------------

    def _signal(self, sig: int) -> None:
        assert self._child is not None
        try:
            os.killpg(self._child.pid, sig)  # its own session: helpers it started go too
        except ProcessLookupError:
            pass

    def _terminate(self) -> None:
        assert self._child is not None
        self._signal(signal.SIGTERM)
        self._signal(signal.SIGCONT)  # a stopped child acts on SIGTERM only once continued
        try:
            self._child.wait(STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            log.warning("renderer ignored SIGTERM for %g s: killing it", STOP_GRACE_SECONDS)
            self._signal(signal.SIGKILL)
            self._child.wait()

    # -- status -------------------------------------------------------------------------------

    def child_status(self) -> dict[str, Any]:
        """What the renderer last said about itself (fps, model, device, inputs...)."""
        beat = self._receiver.latest if self._receiver is not None else None
        return dict(beat.status) if beat is not None else {}

    def status(self) -> dict[str, Any]:
        """The supervisor's view, for /health."""
        now = time.monotonic()
        receiver = self._receiver
        beat = receiver.latest if receiver is not None else None
        last = self.restarts[-1] if self.restarts else None
        return {
            "state": self.state,
            "uptime_s": round(time.time() - self.started_at, 1),
            "restarts": self.restart_count,
            "last_restart": None
            if last is None
            else {
                "at": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(last.at)),
                "cause": last.cause,
            },
            "recent_restarts": [r.cause for r in self.restarts],
            "fallback_level": self.level,
            "last_recovery_s": None if self.last_recovery_s is None else round(self.last_recovery_s, 2),
            "renderer_start_s": None
            if self._first_frame_at is None
            else round(self._first_frame_at - self._child_started, 2),
            "renderer_pid": self._child.pid if self._child is not None else None,
            "renderer_uptime_s": round(now - self._child_started, 1) if self._child is not None else None,
            "frames": beat.frames if beat is not None else 0,
            "frames_total": self.frames_before + (beat.frames if beat is not None else 0),
            "paused": bool(beat and beat.paused),
            "last_frame_age_s": None
            if beat is None or beat.last_frame is None
            else round(now - beat.last_frame, 3),
            "heartbeat_age_s": None
            if receiver is None or receiver.received_at is None
            else round(now - receiver.received_at, 3),
        }
