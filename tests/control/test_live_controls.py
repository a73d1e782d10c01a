"""The control surfaces as `play` starts them: a real OSC client steering a live show."""

import numpy as np
import pygame
import torch
from pythonosc.udp_client import SimpleUDPClient

from tests.control.helpers import eventually


def test_play_wires_keys_hud_and_the_osc_latent_into_the_motion(live_show):
    live, presenter, surfaces = live_show
    source = live.source
    for handler in presenter.key_handlers:  # a key the show binds, as the display hands it on
        handler(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_k))
    assert live.bus.snapshot().step("keyframe").offset == 1
    assert any("osc" in line for line in live.hud_lines(60.0))
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
