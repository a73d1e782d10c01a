"""Logging for long unattended runs: a size-rotated file that can never stop the show, and a
short list of recent warnings and errors for the health page.

A full disk, a log folder that vanished or lost its permissions: the file handler says so once
on stderr (systemd's journal keeps stderr) and keeps retrying now and then, while the console
handler goes on carrying every message.
"""

from __future__ import annotations

import collections
import logging
import logging.handlers
import os
import sys
import time
from pathlib import Path
from typing import Any

from installation.show.gallery_sections import LoggingSettings

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LOG_NAME = "gallery.log"
RETRY_SECONDS = 60.0
MESSAGE_CHARS = 500  # recent errors are for reading at a glance, not whole tracebacks
CONTINUED = "continued"  # a record attribute: the line belongs to the record before (a traceback's)


def default_directory() -> Path:
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(state) / "installation"


class SafeRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A RotatingFileHandler whose failures (opening, writing, rotating) pause it instead of
    raising or printing a traceback per message. It tries the file again every `retry_seconds`."""

    def __init__(
        self, path: Path, max_bytes: int, backups: int, retry_seconds: float = RETRY_SECONDS
    ) -> None:
        # delay: the file is opened by the first message, so an unwritable folder fails there,
        # inside the handler's own error path, not in the constructor.
        super().__init__(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8", delay=True)
        self.retry_seconds = retry_seconds
        self.failed_at: float | None = None
        self._emit_failed = False

    def _open(self) -> Any:
        Path(self.baseFilename).parent.mkdir(parents=True, exist_ok=True)
        return super()._open()

    def emit(self, record: logging.LogRecord) -> None:
        if self.failed_at is not None and time.monotonic() - self.failed_at < self.retry_seconds:
            return
        self._emit_failed = False
        super().emit(record)  # calls handleError instead of raising
        if not self._emit_failed and self.failed_at is not None:
            self.failed_at = None
            sys.stderr.write(f"log file {self.baseFilename} is writable again\n")

    def handleError(self, record: logging.LogRecord) -> None:
        self._emit_failed = True
        error = sys.exc_info()[1]
        stream, self.stream = self.stream, None  # reopened on the next try
        if stream is not None:
            try:
                stream.close()
            except OSError:
                pass
        if self.failed_at is None:
            sys.stderr.write(
                f"cannot write the log file {self.baseFilename} ({error}); logging to stderr only\n"
            )
        self.failed_at = time.monotonic()


class RecentErrors(logging.Handler):
    """The last `keep` warnings and errors, as small dicts (for /health)."""

    def __init__(self, keep: int = 20) -> None:
        super().__init__(logging.WARNING)
        self._records: collections.deque[dict[str, Any]] = collections.deque(maxlen=keep)

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, CONTINUED, False):
            return
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string in someone's log call
            message = str(record.msg)
        self._records.append(
            {
                "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(record.created)),
                "level": record.levelname.lower(),
                "source": record.name,
                "message": message[:MESSAGE_CHARS],
            }
        )

    def recent(self) -> list[dict[str, Any]]:
        return list(self._records)

    def resize(self, keep: int) -> None:
        if keep != self._records.maxlen:
            self._records = collections.deque(self._records, maxlen=keep)


def configure(
    settings: LoggingSettings, recent: RecentErrors, name: str = LOG_NAME
) -> SafeRotatingFileHandler:
    """Route the root logger to stderr, to `recent` and to a rotating file (returned, so that a
    reloaded show can replace it)."""
    root = logging.getLogger()
    root.setLevel(settings.level.upper())
    if not any(type(h) is logging.StreamHandler for h in root.handlers):
        console = logging.StreamHandler()
        console.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(console)
    if recent not in root.handlers:
        root.addHandler(recent)
    recent.resize(settings.keep_errors)
    directory = Path(settings.directory) if settings.directory else default_directory()
    file_handler = SafeRotatingFileHandler(
        directory / name, max_bytes=int(settings.max_megabytes * 1024 * 1024), backups=settings.backups
    )
    file_handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(file_handler)
    return file_handler
