"""The supervisor against a real stand-in child process: crashes, kills, hangs, step-downs, systemd."""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

from installation.gallery.sdnotify import Notifier
from installation.gallery.supervisor import Supervisor, exit_cause
from installation.show.gallery_sections import GallerySettings
from tests.gallery.helpers import child_env, stand_in, wait_for

FAST = GallerySettings(
    hang_seconds=1.0,
    start_seconds=5.0,
    restart_delay=0.1,
    restart_delay_max=0.4,
    crash_window=30.0,
    crashes_per_step=2,
)


def playing(sup: Supervisor) -> dict | None:
    status = sup.status()
    return status if status["state"] == "playing" and status["last_frame_age_s"] is not None else None


def test_exit_causes_name_codes_and_signals() -> None:
    assert exit_cause(3) == "exited with code 3"
    assert exit_cause(-9) == "killed by SIGKILL"


def test_kill_9_restarts_with_the_cause_logged(supervise) -> None:
    sup = supervise(Supervisor(stand_in(), FAST, env=child_env()))
    first = wait_for(lambda: playing(sup), 10, "first frames")["renderer_pid"]
    os.kill(first, signal.SIGKILL)
    status = wait_for(lambda: (s := playing(sup)) and s["renderer_pid"] != first and s, 10, "a new renderer")
    assert status["restarts"] == 1
    assert sup.restarts[-1].cause == "killed by SIGKILL"
    assert status["frames_total"] > status["frames"] > 0


def test_a_stopped_renderer_is_a_hang(supervise) -> None:
    sup = supervise(Supervisor(stand_in(), FAST, env=child_env()))
    first = wait_for(lambda: playing(sup), 10, "first frames")["renderer_pid"]
    os.kill(first, signal.SIGSTOP)
    wait_for(lambda: (s := playing(sup)) and s["renderer_pid"] != first, 10, "a new renderer")
    assert sup.restarts[-1].cause.startswith("hang: no heartbeat")


def test_a_renderer_that_beats_without_frames_is_a_hang(supervise) -> None:
    sup = supervise(Supervisor(stand_in("freeze-after=0.5"), FAST, env=child_env()))
    wait_for(lambda: sup.restarts, 10, "a restart")
    assert sup.restarts[0].cause.startswith("hang: no frame presented")


def test_no_first_frame_within_start_seconds(supervise) -> None:
    settings = GallerySettings(start_seconds=1.0, restart_delay=0.1)
    sup = supervise(Supervisor(stand_in("silent"), settings, env=child_env()))
    wait_for(lambda: sup.restarts, 10, "a restart")
    assert sup.restarts[0].cause == "hang: no first frame within 1 s"


def test_repeated_crashes_step_down_until_one_runs(supervise) -> None:
    levels = []

    def next_level(level: int, status: dict) -> int:
        levels.append(level)
        return level + 1

    sup = supervise(Supervisor(stand_in("crash-below=2"), FAST, next_level=next_level, env=child_env()))
    status = wait_for(lambda: playing(sup), 20, "a renderer at a safe level")
    assert status["fallback_level"] == 2 and levels == [0, 1]
    assert [r.cause for r in sup.restarts] == ["exited with code 4"] * 4
    assert [r.level for r in sup.restarts] == [0, 1, 1, 2]


def test_a_refused_configuration_steps_down_at_once(supervise) -> None:
    sup = supervise(
        Supervisor(
            stand_in("refuse-below=1"), FAST, next_level=lambda level, status: level + 1, env=child_env()
        )
    )
    status = wait_for(lambda: playing(sup), 20, "a renderer at level 1")
    assert status["fallback_level"] == 1 and status["restarts"] == 1
    assert sup.restarts[0].cause == "exited with code 3 (error: model.pkl: not a checkpoint)"
    assert status["last_recovery_s"] < 5


def test_a_fault_no_step_addresses_is_retried_without_stepping_down(supervise) -> None:
    sup = supervise(
        Supervisor(stand_in("fail-with=2"), FAST, next_level=lambda level, status: level + 1, env=child_env())
    )
    wait_for(lambda: len(sup.restarts) >= 4, 20, "four restarts")
    assert sup.level == 0 and {r.level for r in sup.restarts} == {0}
    assert sup.fault == "exited with code 2 (error: port 9000 is taken)"


def test_a_renderer_waiting_for_its_display_is_no_hang(supervise, tmp_path) -> None:
    display = tmp_path / "display"
    sup = supervise(Supervisor(stand_in(f"wait-for={display}"), FAST, env=child_env()))
    wait_for(lambda: sup.status()["state"] == "waiting", 10, "the waiting state")
    time.sleep(FAST.start_seconds + 1)  # longer than a start may take, and many hang times
    assert sup.status()["state"] == "waiting" and not sup.restarts
    assert sup.child_status()["waiting"] == "display 1 missing"
    display.touch()  # the projector comes on
    status = wait_for(lambda: playing(sup), 10, "frames once the display is there")
    assert status["restarts"] == 0 and status["fallback_level"] == 0


def test_a_requested_restart_is_no_crash(supervise) -> None:
    sup = supervise(
        Supervisor(
            stand_in("crash-below=1"), FAST, next_level=lambda level, status: level + 1, env=child_env()
        )
    )
    first = wait_for(lambda: playing(sup), 20, "a renderer at level 1")["renderer_pid"]
    sup.restart("show fixed", level=0)  # level 0 crashes again at once: back to 1 after two crashes
    status = wait_for(lambda: (s := playing(sup)) and s["renderer_pid"] != first and s, 20, "a new renderer")
    causes = [(r.cause, r.delay) for r in sup.restarts]
    assert ("show fixed", 0.0) in causes and status["fallback_level"] == 1


def test_backoff_doubles_up_to_the_limit(supervise) -> None:
    sup = supervise(Supervisor(stand_in("crash-after=0"), FAST, env=child_env()))
    wait_for(lambda: len(sup.restarts) >= 4, 20, "four restarts")
    assert [r.delay for r in list(sup.restarts)[:4]] == [0.1, 0.2, 0.4, 0.4]


def test_stop_ends_the_renderer(supervise, tmp_path) -> None:
    sup = Supervisor(stand_in(), FAST, env=child_env())
    supervise(sup)
    pid = wait_for(lambda: playing(sup), 10, "first frames")["renderer_pid"]
    sup.stop()
    wait_for(lambda: ended(pid), 10, "the renderer to end")


def ended(pid: int) -> bool:
    """The process is gone, or a zombie waiting to be reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except FileNotFoundError:  # gone between two looks as well
        return True


def test_systemd_hears_ready_then_watchdog_only_with_frames(supervise, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("WATCHDOG_USEC", "200000")  # systemd asks for a ping every 0.1 s
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    path = str(tmp_path / "notify")
    manager = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    manager.bind(path)
    manager.settimeout(10)
    supervise(Supervisor(stand_in("freeze-after=1.5"), FAST, notifier=Notifier(path), env=child_env()))

    def receive() -> tuple[float, str]:
        message = manager.recv(4096).decode()
        return time.monotonic(), message

    messages = [receive()]
    while not messages[-1][1].startswith("STATUS=restarting"):
        messages.append(receive())
    manager.close()
    assert messages[0][1].startswith("READY=1\nSTATUS=playing")
    pings = [t for t, m in messages if m == "WATCHDOG=1"]
    assert len(pings) >= 5 and pings[0] > messages[0][0]
    assert messages[-1][1].startswith("STATUS=restarting: hang: no frame presented")
    # The frames stopped: the pings stopped at half the hang time, before the restart.
    assert messages[-1][0] - pings[-1] >= FAST.hang_seconds / 2 - 0.2
