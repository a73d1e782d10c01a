"""Hot reload: notice edits to a show file and hand each valid new version to a callback.

Polling (size, mtime, then a content hash) needs no dependency and works on every file system.
File times are coarse (a few ms), so for a moment after an edit every poll hashes the file, to
catch a second same-size save within one tick.
An invalid edit is logged in one line and the running show stays; a half-saved file simply
fails once and is picked up again when the editor finishes writing it.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from installation.errors import UserError
from installation.show.loader import load_show
from installation.show.sections import Show

log = logging.getLogger(__name__)

SETTLE_SECONDS = 2.0  # how long after a file's mtime its size and mtime are not trusted
STEADY_SECONDS = 0.02  # a changed file must read the same twice this far apart
EMPTY = hashlib.sha256(b"").digest()


class ShowWatcher:
    """Watches `show.path`. Call `poll()` from a loop, or `start()` a thread that polls every
    `interval` seconds; either way `on_change(new_show)` runs in the polling thread."""

    def __init__(
        self,
        show: Show,
        on_change: Callable[[Show], None],
        *,
        interval: float = 0.5,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        self.show = show
        self.last_error: str | None = None
        self._on_change = on_change
        self._on_error = on_error
        self._interval = interval
        self._stat = self._stat_of(show.path)
        self._digest = self._digest_of(show.path)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @staticmethod
    def _stat_of(path: Path) -> tuple[int, int] | None:
        """(size, mtime) to compare, or None while the file is missing or was just written."""
        try:
            stat = path.stat()
        except OSError:
            return None
        if time.time() - stat.st_mtime < SETTLE_SECONDS:
            return None
        return stat.st_size, stat.st_mtime_ns

    @staticmethod
    def _digest_of(path: Path) -> bytes | None:
        try:
            return hashlib.sha256(path.read_bytes()).digest()
        except OSError:
            return None

    def poll(self) -> Show | None:
        """Check the file once; return the new Show if a valid edit was applied."""
        stat = self._stat_of(self.show.path)
        if stat is not None and stat == self._stat:
            return None
        self._stat = stat
        digest = self._digest_of(self.show.path)
        if digest == self._digest or digest is None:  # touched, or mid-replace: wait for content
            return None
        # A save that truncates, then writes, leaves an empty file for a moment, and an empty
        # show is valid (all defaults): only content that holds still is an edit.
        time.sleep(STEADY_SECONDS)
        if digest == EMPTY or digest != self._digest_of(self.show.path):
            self._stat = None  # look again at the next poll
            return None
        self._digest = digest
        try:
            show = load_show(self.show.path)
        except UserError as error:
            self.last_error = str(error)
            if self._on_error:  # it reports the error: once, not here as well
                self._on_error(self.last_error)
            else:
                log.warning("show not reloaded, keeping the running one: %s", error)
            return None
        self.show, self.last_error = show, None
        self._on_change(show)  # the callback logs the reload once it has applied it
        return show

    def start(self) -> "ShowWatcher":
        """Poll in a daemon thread until `stop()`."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="show-watcher", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.poll()
            except Exception:  # a failing callback must not end hot reload for the whole show
                log.exception("show watcher: callback failed")
