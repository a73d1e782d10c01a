"""A bend's knob over real OSC changes what the live show puts on screen."""

from __future__ import annotations

import numpy as np
from pythonosc.udp_client import SimpleUDPClient

from tests.control.helpers import eventually
from tests.sinks.show_files import tiny_checkpoint

SHOW = """
[model]
path = "tiny.pkl"
[render]
device = "cpu"
precision = "fp32"
[motion]
keyframes = [1]           # one keyframe: a still picture until the bend moves
noise = "const"
[osc]
port = 0
query_port = -1
[midi]
enabled = false
[[bends]]
name = "shift"
layer = 16
transform = "translate"
x = 0.5
smoothing = 0.0
"""


def test_turning_a_bend_over_osc_changes_the_screen(tmp_path):
    from installation.live import ControlsStarter, LiveShow
    from installation.show.loader import load_show

    tiny_checkpoint(tmp_path)
    (tmp_path / "show.toml").write_text(SHOW)
    controls = ControlsStarter()
    live = LiveShow(load_show(tmp_path / "show.toml"), port=controls, backend="torch").start()
    controls.start(live)
    try:
        assert eventually(lambda: controls.surfaces is not None or live.error is not None, timeout=60)
        assert live.error is None, live.error

        def shown():
            pair = live.pair_at(live.clock.now())  # as the display asks for it
            return None if pair is None else (pair.newest.version, pair.newest.pixels.copy())

        assert eventually(lambda: shown() is not None, timeout=60)
        version, still = shown()
        assert eventually(lambda: np.array_equal(shown()[1], still), timeout=5)  # nothing moves by itself
        SimpleUDPClient(*controls.surfaces.osc.address).send_message("/installation/param/shift", 1.0)
        assert eventually(lambda: shown()[0] > version, timeout=30)
        bent = shown()[1]
        assert np.abs(bent.astype(int) - still).mean() > 5  # the content moved half a layer
        SimpleUDPClient(*controls.surfaces.osc.address).send_message("/installation/param/shift", 0.0)
        assert eventually(lambda: np.array_equal(shown()[1], still), timeout=30)  # amount 0: the same pixels
    finally:
        controls.stop()
        live.stop()
