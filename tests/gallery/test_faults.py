"""Fault injection through `run.py gallery`: after each fault the piece shows frames again,
checked on the health page (the renderer's pid, its frame count and the age of its last frame).

The renderers run headless (SDL's dummy video driver) at 32 px, with short timeouts from the show.
"""

from __future__ import annotations

import os
import signal
import time

import pytest

from installation.show.gallery_sections import WEEKDAYS
from tests.checkpoints.ckpt_writers import random_state, reduce_pickle, small_config, write_nvlabs_pickle
from tests.gallery.helpers import GalleryRun, gallery_show, wait_for

RECOVERY_S = 10.0  # the screen is back this soon after a crash


@pytest.fixture(scope="module")
def gallery(tmp_path_factory):
    """One gallery for the faults a running piece must shrug off; its log folder is unusable
    (a file stands where the folder should be) from the start."""
    tmp = tmp_path_factory.mktemp("gallery")
    (tmp / "logs").write_text("not a folder")
    run = GalleryRun(gallery_show(tmp, logs="logs"))
    run.show_path = tmp / "show.toml"
    yield run
    run.stop()


def test_an_unusable_log_folder_costs_one_warning(gallery) -> None:
    gallery.showing()
    assert sum("cannot write the log file" in line for line in gallery.lines) == 1


def test_kill_9(gallery) -> None:
    before = gallery.showing()
    os.kill(before["renderer_pid"], signal.SIGKILL)
    after = gallery.showing(other_than=before["renderer_pid"])
    assert after["recent_restarts"][-1] == "killed by SIGKILL"
    assert after["last_recovery_s"] < RECOVERY_S
    assert after["frames_total"] > before["frames_total"]


def test_a_stopped_renderer_is_restarted(gallery) -> None:
    before = gallery.showing()
    os.kill(before["renderer_pid"], signal.SIGSTOP)
    after = gallery.showing(other_than=before["renderer_pid"])
    assert after["recent_restarts"][-1].startswith("hang: no heartbeat for")


def test_an_invalid_show_edit_leaves_the_running_show(gallery) -> None:
    before = gallery.showing()
    good = gallery.show_path.read_text()
    gallery.show_path.write_text(good + "\n[render]\nmax_resolution = 33\n")  # a duplicate table: invalid
    try:
        wait_for(lambda: gallery.match("show file changed but cannot be played"), 10, "the supervisor to notice")
        time.sleep(2)
        after = gallery.showing()
        assert after["renderer_pid"] == before["renderer_pid"] and after["restarts"] == before["restarts"]
    finally:
        gallery.show_path.write_text(good)


def small_model(path) -> None:
    config = small_config()
    write_nvlabs_pickle(path, random_state(config), config)


def test_a_corrupt_model_at_restart_gives_the_default_model(tmp_path) -> None:
    model = tmp_path / "model.pkl"
    small_model(model)
    run = GalleryRun(gallery_show(tmp_path, '[model]\npath = "model.pkl"'))
    try:
        before = run.showing()
        assert before["model"] == str(model)
        model.write_bytes(model.read_bytes()[:1000])  # truncated: a copy that did not finish
        os.kill(before["renderer_pid"], signal.SIGKILL)
        after = wait_for(lambda: (h := run.showing(other_than=before["renderer_pid"]))["model"] == "default" and h,
                         60, "the default model")  # fmt: skip
        assert after["fallback_level"] == 1 and "truncated or corrupt" in after["recent_restarts"][-1]
        assert any("embedded default model" in p for p in after["problems"])
    finally:
        run.stop()


def test_a_hostile_checkpoint_is_refused_through_the_supervisor(tmp_path) -> None:
    marker = tmp_path / "pwned"
    (tmp_path / "evil.pkl").write_bytes(reduce_pickle("os", "system", f"touch '{marker}'"))
    run = GalleryRun(gallery_show(tmp_path, '[model]\npath = "evil.pkl"'))
    try:
        status = run.showing()
        assert status["model"] == "default" and status["fallback_level"] == 1
        assert "exited with code 2" in status["recent_restarts"][0]
        assert not marker.exists()
    finally:
        run.stop()
    assert not marker.exists()


def test_closed_hours_pause_and_an_edit_reopens(tmp_path) -> None:
    closed_all_week = "\n".join(f'{day} = "closed"' for day in WEEKDAYS)
    show = gallery_show(tmp_path, f"[schedule]\n{closed_all_week}\nfade_seconds = 0")
    run = GalleryRun(show)
    try:
        closed = wait_for(lambda: (h := run.health())["state"] == "paused" and h, 90, "the closed state")
        assert closed["paused"] and not closed["schedule"]["open"] and closed["schedule"]["next_change"] is None
        time.sleep(6)  # longer than hang_seconds: pausing on purpose is no hang
        assert run.health()["restarts"] == 0
        gallery_show(tmp_path)  # the same show, open every day
        reopened = run.showing(timeout=30)
        assert reopened["restarts"] == 0 and reopened["schedule"]["open"]
    finally:
        run.stop()
