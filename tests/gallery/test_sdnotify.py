"""sd_notify over a real unix datagram socket, path and abstract."""

from __future__ import annotations

import os
import socket

from installation.gallery.sdnotify import Notifier, child_environment, watchdog_interval


def test_messages_reach_a_path_socket(tmp_path) -> None:
    path = str(tmp_path / "notify")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as manager:
        manager.bind(path)
        notifier = Notifier(path)
        assert notifier.ready("playing") and notifier.watchdog() and notifier.stopping()
        assert [manager.recv(100) for _ in range(3)] == [
            b"READY=1\nSTATUS=playing",
            b"WATCHDOG=1",
            b"STOPPING=1",
        ]


def test_abstract_socket_names_start_with_at() -> None:
    name = f"installation-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as manager:
        manager.bind("\0" + name)
        assert Notifier("@" + name).watchdog()
        assert manager.recv(100) == b"WATCHDOG=1"


def test_without_systemd_nothing_is_sent(monkeypatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    notifier = Notifier()
    assert not notifier.active and not notifier.ready()


def test_a_manager_that_stops_reading_never_blocks_us(tmp_path) -> None:
    path = str(tmp_path / "notify")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as manager:
        manager.bind(path)
        notifier = Notifier(path)
        sent = [notifier.watchdog() for _ in range(1000)]  # its queue fills up; we go on
        assert sent[0] and not sent[-1]


def test_a_vanished_manager_is_not_an_error(tmp_path) -> None:
    assert not Notifier(str(tmp_path / "nobody")).watchdog()


def test_watchdog_interval_is_half_the_timeout_for_our_pid(monkeypatch) -> None:
    monkeypatch.setenv("WATCHDOG_USEC", "30000000")
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    assert watchdog_interval() == 15.0
    monkeypatch.setenv("WATCHDOG_PID", "1")
    assert watchdog_interval() is None


def test_the_renderer_does_not_inherit_the_notify_socket() -> None:
    env = child_environment({"NOTIFY_SOCKET": "/run/x", "WATCHDOG_USEC": "1", "PATH": "/bin"})
    assert env == {"PATH": "/bin"}
