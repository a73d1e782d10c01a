"""A gallery piece that feeds other software: its /health page reports each output."""

import socket

from tests.gallery.helpers import GalleryRun, gallery_show
from tests.polling import wait_for


def test_health_reports_each_outputs_state_rate_and_drops(tmp_path):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:  # a port nobody reads: UDP sends on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    outputs = f'[[outputs]]\nkind = "stream"\ntarget = "udp://127.0.0.1:{port}"\nsize = "64x64"\nfps = 10\n'
    outputs += '[[outputs]]\nkind = "spout"\ntarget = "Stage"\n'
    run = GalleryRun(gallery_show(tmp_path, outputs))
    try:
        run.showing()
        health = wait_for(
            lambda: (
                (h := run.health())["outputs"].get(f"stream:udp://127.0.0.1:{port}", {}).get("sent", 0) > 5
                and h
            ),
            60,
            "the stream output sending",
        )
    finally:
        run.stop()
    stream = health["outputs"][f"stream:udp://127.0.0.1:{port}"]
    assert stream["state"] == "running" and stream["fps"] > 0 and stream["dropped"] >= 0
    assert (
        health["outputs"]["spout:Stage"]["state"]
        == "error: Spout output exists only on Windows; this is Linux"
    )
