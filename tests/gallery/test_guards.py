"""What a running `run.py gallery` holds against its surroundings: crafted OSC that python-osc
would log about, a second copy of the same show started next to it, a display not there yet."""

from __future__ import annotations

import os
import shutil
import socket
import struct
import subprocess
import sys
import time

import pytest

from tests.gallery.helpers import ROOT, GalleryRun, XServer, child_env, gallery_show, small_model, wait_for

BUNDLES = 200
PACKET_BYTES = 16 * 1024  # the largest packet OSC accepts by default
OSC_LOG_LINES = 20 + 1  # docs/control.md: at most 20 lines a minute, and one saying how many were not


@pytest.fixture(scope="module")
def gallery(tmp_path_factory):
    folder = tmp_path_factory.mktemp("guards")
    run = GalleryRun(gallery_show(folder, logs=str(folder / "logs")))
    run.folder = folder
    yield run
    run.stop()


def crafted_bundle(index: int) -> bytes:
    """A bundle whose elements are neither messages nor bundles: python-osc logs a warning for
    each one, with the element's bytes in it."""
    element = (b"X%05d" % index).ljust(2044, b"x")
    body = b"#bundle\x00" + struct.pack(">II", 0, 1)
    while len(body) + 4 + len(element) <= PACKET_BYTES:
        body += struct.pack(">i", len(element)) + element
    return body


def test_crafted_osc_bundles_add_no_more_than_the_rate_limited_lines(gallery) -> None:
    before = gallery.showing()
    host, port = before["inputs"]["osc"].rsplit(":", 1)
    log = gallery.folder / "logs" / "gallery.log"
    lines_before = len(log.read_text().splitlines())
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as out:
        for i in range(BUNDLES):
            out.sendto(crafted_bundle(i), (host, int(port)))
    # The renderer counts every bundle it took apart; wait until all have been seen.
    after = wait_for(
        lambda: (h := gallery.health())["inputs"]["dropped"] >= before["inputs"]["dropped"] + BUNDLES and h,
        30,
        "the bundles to be counted",
    )
    new = log.read_text().splitlines()[lines_before:]
    assert not any("X00" in line for line in new), "the sender's bytes reached the log"
    assert sum("osc" in line.lower() or "dgram" in line for line in new) <= OSC_LOG_LINES, new
    assert not any("dgram" in e["message"] for e in after["recent_errors"])
    assert after["renderer_pid"] == before["renderer_pid"]


def test_a_second_copy_of_a_running_show_says_already_running(gallery) -> None:
    show = gallery.folder / "show.toml"
    for command in ("gallery", "play"):
        done = subprocess.run(
            [sys.executable, str(ROOT / "run.py"), command, str(show)],
            cwd=ROOT,
            env=child_env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode != 0, done.stderr
        assert f"already running (pid {gallery.process.pid})" in done.stderr, done.stderr
    assert gallery.health()["renderer_pid"] is not None  # the first copy plays on


@pytest.mark.skipif(shutil.which("Xvfb") is None, reason="needs Xvfb (apt-get install xvfb)")
def test_a_missing_display_is_waited_for_not_stepped_down_from(tmp_path) -> None:
    small_model(tmp_path / "model.pkl")
    show = gallery_show(tmp_path, '[model]\npath = "model.pkl"')
    show.write_text(show.read_text().replace("[display]\n", "[display]\nscreen = 1\n"))
    x = XServer(screens=1)  # a one-monitor machine; the show wants the projector, display 1
    env = {k: v for k, v in child_env().items() if k != "SDL_VIDEODRIVER"}
    run = GalleryRun(show, env={**env, "DISPLAY": x.display})
    try:
        waiting = wait_for(
            lambda: (h := run.health())["state"] == "waiting" and h, 120, "the renderer to wait for display 1"
        )
        assert any("display.screen = 1, but there are 1 displays" in p for p in waiting["problems"]), waiting
        time.sleep(6)  # three looks at the display, and past hang_seconds
        still = run.health()
        assert still["state"] == "waiting" and still["restarts"] == 0 and still["fallback_level"] == 0
        x.restart(screens=2)  # the projector is switched on
        playing = run.showing(timeout=240)  # a new model's first start calibrates the backends
        assert playing["fallback_level"] == 0 and playing["model"].endswith("model.pkl")
        assert not any("display" in p for p in playing["problems"]), playing["problems"]
    finally:
        run.stop()
        x.stop()


def test_two_shows_on_one_fixed_port_cannot_both_run(tmp_path, monkeypatch) -> None:
    from installation.errors import UserError
    from installation.instance import single_instance
    from installation.show.loader import load_show

    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    first, second, third = (tmp_path / f"{name}.toml" for name in ("first", "second", "third"))
    first.write_text("[osc]\nport = 9123\nquery_port = -1\n")
    second.write_text("[osc]\nport = 9123\nquery_port = -1\n")
    third.write_text("[osc]\nport = 9124\nquery_port = -1\n")
    with single_instance(load_show(first)):
        with pytest.raises(
            UserError, match=rf"OSC port 9123 is taken: .* already running \(pid {os.getpid()}\)"
        ):
            with single_instance(load_show(second)):
                pass
        with single_instance(load_show(third)):  # another port: no conflict
            pass
        with single_instance(load_show(second), controls=False):  # a sync follower opens no OSC
            pass
    with single_instance(load_show(second)):  # released with the first
        pass
