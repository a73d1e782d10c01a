"""The control surfaces as `play` starts them: a real OSC client steering a live show."""

import os

import numpy as np
import torch
from pythonosc.udp_client import SimpleUDPClient

from installation.show.loader import load_show
from tests.control.helpers import eventually
from tests.sinks.show_files import write_show


def test_play_starts_controls_and_osc_latent_steers_the_motion(tmp_path, monkeypatch):
    from installation.display import Presenter, Screen, init_video
    from installation.live import ControlsStarter, LiveShow

    if not os.environ.get("DISPLAY"):
        monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    extra = '[osc]\nport = 0\nquery_port = -1\n[midi]\nenabled = false\n[parameters.latent_mix]\ntype = "float"\nmin = 0.0\nmax = 1.0\ndefault = 1.0\n'
    show = load_show(write_show(tmp_path, extra=extra))
    init_video()
    live = LiveShow(show, backend="torch").start()
    screen = Screen(fullscreen=False, size=(160, 120), mode="fit", vsync=False)
    presenter = Presenter(screen, live, allow_quit=False, actions=live.actions())
    controls = ControlsStarter(live, presenter)
    controls.start()
    try:
        assert eventually(lambda: controls.surfaces is not None or live.error is not None, timeout=30)
        assert live.error is None
        surfaces, source = controls.surfaces, live.source
        assert surfaces.on_key_event in presenter.key_handlers
        client = SimpleUDPClient(*surfaces.osc.address)
        times = [live.clock.now() + 0.5, live.clock.now() + 0.7]
        with torch.inference_mode():
            before = source.latents(times).ws.cpu().numpy()
        version = source.version()
        z = np.random.RandomState(99).randn(source.motion.space.z_dim).astype(np.float32)
        client.send_message("/installation/latent", [float(x) for x in z])
        assert eventually(lambda: source.version() > version, timeout=5)
        with torch.inference_mode():
            steered = source.latents(times).ws.cpu().numpy()
        # latent_mix 1: both frames sit on the override's w, whatever the motion path says
        assert not np.allclose(before, steered)
        assert np.allclose(steered[0], steered[1], atol=1e-5)
        client.send_message("/installation/param/latent_mix", 0.0)
        assert eventually(lambda: live.bus.snapshot(live.clock.now() + 10)["latent_mix"] == 0.0, timeout=5)
        with torch.inference_mode():
            released = source.latents([t + 10 for t in times]).ws.cpu().numpy()
        assert not np.allclose(released[0], released[1])  # the motion path again
        assert any("osc" in line for line in live.hud_lines(60.0))
    finally:
        controls.stop()
        live.stop()
        screen.close()
