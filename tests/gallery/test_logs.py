"""Log rotation that cannot stop the show, and the recent-errors list."""

from __future__ import annotations

import logging
import os

import pytest

from installation.gallery.logs import RecentErrors, SafeRotatingFileHandler


def record(message: str, level: int = logging.INFO) -> logging.LogRecord:
    return logging.LogRecord("test", level, __file__, 1, message, None, None)


def test_rotates_by_size(tmp_path) -> None:
    handler = SafeRotatingFileHandler(tmp_path / "logs" / "gallery.log", max_bytes=1000, backups=2)
    for i in range(200):
        handler.emit(record(f"line {i:04d} " + "x" * 40))
    handler.close()
    names = sorted(p.name for p in (tmp_path / "logs").iterdir())
    assert names == ["gallery.log", "gallery.log.1", "gallery.log.2"]
    assert all(p.stat().st_size <= 1000 for p in (tmp_path / "logs").iterdir())
    assert "line 0199" in (tmp_path / "logs" / "gallery.log").read_text()


def test_unusable_directory_warns_once_and_recovers(tmp_path, capfd) -> None:
    folder = tmp_path / "logs"
    folder.write_text("")  # a file where the folder should be: fails for root too, unlike chmod
    handler = SafeRotatingFileHandler(folder / "gallery.log", max_bytes=10000, backups=1, retry_seconds=0.0)
    try:
        handler.emit(record("one"))
        handler.emit(record("two"))
        warnings = capfd.readouterr().err
        assert warnings.count("cannot write the log file") == 1 and "Traceback" not in warnings
        folder.unlink()
        handler.emit(record("three"))
        assert "writable again" in capfd.readouterr().err
        assert (folder / "gallery.log").read_text().strip() == "three"
    finally:
        handler.close()


def test_a_full_disk_warns_once(tmp_path, capfd) -> None:
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    (tmp_path / "gallery.log").symlink_to("/dev/full")
    handler = SafeRotatingFileHandler(tmp_path / "gallery.log", max_bytes=0, backups=0, retry_seconds=3600)
    for i in range(5):
        handler.emit(record(f"message {i}"))
    handler.close()
    err = capfd.readouterr().err
    assert err.count("No space left on device") == 1 and "Traceback" not in err


def test_recent_errors_keep_the_last_few_warnings() -> None:
    recent = RecentErrors(keep=3)
    recent.handle(record("not kept"))
    for i in range(5):
        recent.handle(record(f"problem {i}", logging.WARNING))
    broken = record("bad %s %s", logging.ERROR)
    broken.args = ("format",)  # a broken log call still gives an entry
    recent.handle(broken)
    assert [r["message"] for r in recent.recent()] == ["problem 3", "problem 4", "bad %s %s"]
    assert recent.recent()[-1]["level"] == "error"


def test_continuation_lines_are_not_listed_as_errors() -> None:
    recent = RecentErrors()
    first, rest = (
        record("Traceback (most recent call last):", logging.ERROR),
        record("  File x", logging.ERROR),
    )
    rest.continued = True
    recent.handle(first)
    recent.handle(rest)
    assert [r["message"] for r in recent.recent()] == ["Traceback (most recent call last):"]
