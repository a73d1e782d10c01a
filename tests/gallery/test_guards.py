"""What a running `run.py gallery` holds against its surroundings: crafted OSC that python-osc
would log about, a second copy of the same show started next to it."""

from __future__ import annotations

import socket
import struct
import subprocess
import sys

import pytest

from tests.gallery.helpers import ROOT, GalleryRun, child_env, gallery_show

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
    from tests.polling import wait_for

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
