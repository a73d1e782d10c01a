"""The control surfaces as `play` starts them: a real OSC client steering a live show."""

import logging

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


def _reload_failing_with(live, monkeypatch, error: BaseException) -> None:
    """Reload the running show once with building its motion raising `error`."""
    from installation.show.loader import load_show

    def broken(*_args, **_kwargs):
        raise error

    with monkeypatch.context() as patch:
        patch.setattr("installation.live.ShowSource", broken)
        live.reload(load_show(live.show.path))


def test_a_reload_that_fails_shows_one_line_and_the_show_and_its_controls_go_on(
    live_show, monkeypatch, caplog
):
    from installation.errors import UserError
    from installation.show.loader import load_show

    live, _presenter, surfaces = live_show
    running, source = live.show, live.source
    caplog.set_level(logging.INFO, logger="installation")

    _reload_failing_with(live, monkeypatch, UserError("keyframes.npy: 3 rows, expected 4"))
    assert live.note == "not reloaded: keyframes.npy: 3 rows, expected 4"
    assert any(live.note in line for line in live.hud_lines(60.0))
    assert not any(r.exc_info for r in caplog.records)  # a user's mistake: no traceback

    _reload_failing_with(live, monkeypatch, MemoryError("CUDA out of memory"))
    assert live.note == "not reloaded: internal error: see the log"
    assert any(live.note in line for line in live.hud_lines(60.0))
    failure = [r for r in caplog.records if r.exc_info]
    assert len(failure) == 1 and failure[0].exc_info[0] is MemoryError and "CUDA out of memory" in caplog.text
    assert "show reloaded" not in caplog.text

    assert live.show is running and live.source is source and live.pair_at(live.clock.now()) is not None
    client = SimpleUDPClient(*surfaces.osc.address)  # the controls still steer it
    client.send_message("/installation/param/psi", 0.25)
    assert eventually(lambda: abs(live.bus.snapshot(live.clock.now() + 10)["psi"] - 0.5) < 1e-9, timeout=5)

    live.reload(load_show(live.show.path))
    assert live.note == "" and live.source is not source
    assert caplog.text.count("show reloaded") == 1


def test_a_rejected_edit_is_logged_once_and_keeps_the_show(live_show, caplog):
    from installation.show.watcher import ShowWatcher

    live, _presenter, _surfaces = live_show
    running = live.show
    watcher = ShowWatcher(live.show, live.reload, on_error=live.report, interval=0.05)
    text = live.show.path.read_text()
    live.show.path.write_text(text.replace("period_seconds = 2.0", "period_seconds = -5"))
    with caplog.at_level(logging.WARNING, logger="installation"):
        watcher.poll()
    assert "period_seconds" in live.note and live.show is running
    assert len([r for r in caplog.records if "period_seconds" in r.getMessage()]) == 1
