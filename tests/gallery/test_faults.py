"""Fault injection through `run.py gallery`: after each fault the piece shows frames again,
checked on the health page (the renderer's pid, its frame count and the age of its last frame).

The renderers run headless (SDL's dummy video driver) at 32 px, with short timeouts from the show.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import time

import pytest
import rtmidi

from installation.show.gallery_sections import WEEKDAYS
from tests.checkpoints.ckpt_writers import reduce_pickle
from tests.gallery.helpers import GalleryRun, NetworkCamera, child_env, gallery_show, small_model, wait_for

SUPERVISOR_OVERHEAD_S = 1.0  # noticing the crash, the restart delay (0.2 s here), starting the process


# Faults with a gallery of their own come first: one gallery at a time keeps the timing honest.


def test_a_hostile_checkpoint_is_refused_through_the_supervisor(tmp_path) -> None:
    marker = tmp_path / "pwned"
    (tmp_path / "evil.pkl").write_bytes(reduce_pickle("os", "system", f"touch '{marker}'"))
    run = GalleryRun(gallery_show(tmp_path, '[model]\npath = "evil.pkl"'))
    try:
        status = run.showing()
        assert status["model"] == "default" and status["fallback_level"] == 1
        assert "exited with code 3" in status["recent_restarts"][0]
        assert not marker.exists()
    finally:
        run.stop()
    assert not marker.exists()


BOX = f"GalleryBox{os.getpid()}"


def test_midi_port_and_camera_vanish_and_return(tmp_path, jack) -> None:
    camera = NetworkCamera()
    show = gallery_show(tmp_path, f'[webcam]\nenabled = true\nsource = "{camera.url}"\nmax_fps = 10\n')
    show.write_text(
        show.read_text().replace("[midi]\nenabled = false", f'[midi]\napi = "jack"\ninputs = ["{BOX}"]')
    )
    box = rtmidi.MidiOut(rtapi=jack.api, name=BOX)
    box.open_virtual_port("knobs")
    run = GalleryRun(show)
    try:
        first = run.showing()
        pid = first["renderer_pid"]
        wait_for(lambda: BOX in run.health()["inputs"]["midi"], 30, "the MIDI port to open")
        wait_for(lambda: run.health()["inputs"].get("webcam") == "running", 30, "the camera")
        box.close_port()
        box.delete()
        camera.down()
        wait_for(
            lambda: "no inputs" in (h := run.health())["inputs"]["midi"] and h["inputs"]["webcam"] == "lost",
            30,
            "both inputs to be gone",
        )
        assert run.showing()["renderer_pid"] == pid, run.health()["recent_restarts"]
        box = rtmidi.MidiOut(rtapi=jack.api, name=BOX)
        box.open_virtual_port("knobs")
        camera.up()
        wait_for(
            lambda: BOX in (h := run.health())["inputs"]["midi"] and h["inputs"]["webcam"] == "running",
            30,
            "both inputs back",
        )
        box.send_message([0xB0, 1, 64])
        after = run.showing()
        assert after["renderer_pid"] == pid and after["restarts"] == 0, after["recent_restarts"]
    finally:
        run.stop()
        camera.down()
        box.delete()


@pytest.fixture(scope="module")
def gallery(tmp_path_factory):
    """One gallery for the faults a running piece must shrug off, in order; it plays a small
    checkpoint, and its log folder is unusable (a file stands where the folder should be)."""
    tmp = tmp_path_factory.mktemp("gallery")
    (tmp / "logs").write_text("not a folder")
    small_model(tmp / "model.pkl")
    systemd = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)  # stands in for systemd's notify socket
    systemd.bind(str(tmp / "notify"))
    run = GalleryRun(
        gallery_show(tmp, '[model]\npath = "model.pkl"', logs="logs"),
        env={**child_env(), "NOTIFY_SOCKET": str(tmp / "notify")},
    )
    run.folder, run.systemd = tmp, systemd
    yield run
    run.stop()
    systemd.close()


def test_an_unusable_log_folder_costs_one_warning(gallery) -> None:
    gallery.showing()
    assert sum("cannot write the log file" in line for line in gallery.lines) == 1


def test_systemd_hears_ready_with_the_first_frame_then_watchdog_pings(gallery) -> None:
    gallery.showing()
    gallery.systemd.settimeout(5)
    messages = [gallery.systemd.recv(4096).decode() for _ in range(3)]
    assert messages[0] == "READY=1\nSTATUS=playing, fallback level 0"
    assert "WATCHDOG=1" in messages[1:]


def test_kill_9(gallery) -> None:
    before = gallery.showing()
    os.kill(before["renderer_pid"], signal.SIGKILL)
    after = gallery.showing(other_than=before["renderer_pid"])
    assert after["recent_restarts"][-1] == "killed by SIGKILL"
    # Back on screen as soon as a fresh renderer can start: the supervisor adds well under a second.
    assert after["last_recovery_s"] < after["renderer_start_s"] + SUPERVISOR_OVERHEAD_S
    assert after["frames_total"] > before["frames_total"]


def test_a_stopped_renderer_is_restarted(gallery) -> None:
    before = gallery.showing()
    os.kill(before["renderer_pid"], signal.SIGSTOP)
    after = gallery.showing(other_than=before["renderer_pid"])
    assert after["recent_restarts"][-1].startswith("hang: no heartbeat for")


def test_an_invalid_show_edit_leaves_the_running_show(gallery) -> None:
    before = gallery.showing()
    show = gallery.folder / "show.toml"
    good = show.read_text()
    show.write_text(good + "\n[render]\nmax_resolution = 33\n")  # a second [render] table: invalid
    try:
        wait_for(
            lambda: gallery.match("show file changed but cannot be played"), 10, "the supervisor to notice"
        )
        time.sleep(2)
        assert gallery.showing()["renderer_pid"] == before["renderer_pid"]
    finally:
        show.write_text(good)
    time.sleep(2)  # the fixed file is seen; the renderer never left it, so it is not restarted
    after = gallery.showing()
    assert after["renderer_pid"] == before["renderer_pid"] and after["restarts"] == before["restarts"]


def test_closed_hours_pause_rendering_and_opening_resumes_it(gallery) -> None:
    before = gallery.showing()
    show = gallery.folder / "show.toml"
    good = show.read_text()
    closed_all_week = "\n".join(f'{day} = "closed"' for day in WEEKDAYS)
    show.write_text(good + f"[schedule]\n{closed_all_week}\nfade_seconds = 0\n")
    try:
        closed = wait_for(
            lambda: (h := gallery.health())["state"] == "paused" and not h["schedule"]["open"] and h,
            30,
            "the closed state",
        )
        assert closed["schedule"]["next_change"] is None
        # The log line travels through the supervisor's pipe: it may come after /health says so.
        message = "rendering paused with no opening hours in the coming year"
        wait_for(lambda: gallery.match(message), 10, "the pause in the log")
        time.sleep(6)  # longer than hang_seconds: pausing on purpose is no hang
        assert gallery.health()["frames"] - closed["frames"] <= 3  # only the still frame at the pause
    finally:
        show.write_text(good)
    reopened = gallery.showing(timeout=30)
    assert (
        reopened["renderer_pid"] == before["renderer_pid"] and reopened["restarts"] == before["restarts"]
    ), reopened["recent_restarts"]


def test_100k_garbage_osc_packets(gallery) -> None:
    before = gallery.showing()
    host, port = before["inputs"]["osc"].rsplit(":", 1)
    rng = random.Random(5)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as out:
        for _ in range(100_000):
            out.sendto(rng.randbytes(rng.randrange(1, 1400)), (host, int(port)))
    after = gallery.showing()
    assert after["renderer_pid"] == before["renderer_pid"] and after["restarts"] == before["restarts"]
    assert after["inputs"]["dropped"] > before["inputs"]["dropped"] + 1000  # they arrived, and were refused


def test_a_corrupt_model_at_restart_gives_the_default_model(gallery) -> None:
    before = gallery.showing()
    assert before["model"].endswith("model.pkl")
    model = gallery.folder / "model.pkl"
    model.write_bytes(model.read_bytes()[:1000])  # truncated: a copy that did not finish
    os.kill(before["renderer_pid"], signal.SIGKILL)
    # On a fresh machine the first start of the default model builds it (and calibrates)
    after = wait_for(
        lambda: (
            (h := gallery.showing(other_than=before["renderer_pid"], timeout=180))["model"] == "default" and h
        ),
        180,
        "the default model",
    )
    assert after["fallback_level"] == 1 and "truncated or corrupt" in after["recent_restarts"][-1]
    assert any("embedded default model" in p for p in after["problems"])
