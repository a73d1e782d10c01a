"""Safe steps for a crashing renderer, the restart backoff, and the renderer's own adaptations."""

from __future__ import annotations

from pathlib import Path

from installation.gallery import fallback
from installation.gallery.renderer import unattended
from installation.gallery.restarts import RestartPolicy
from installation.show.gallery_sections import GallerySettings
from installation.show.loader import parse_show


def show(text: str = "[show]\n"):  # an empty show file is refused: this is all defaults
    return parse_show(text, Path("/tmp/show.toml"))


def test_steps_add_up(tmp_path) -> None:
    model = tmp_path / "m.pkl"
    model.write_bytes(b"x")
    s = parse_show(f'[model]\npath = "{model}"\n[render]\ndevice = "cuda"', tmp_path / "show.toml")
    g = GallerySettings(safe_resolution=128)
    assert fallback.configuration(s, g, 0) == s
    one, two, three = (fallback.configuration(s, g, n) for n in (1, 2, 3))
    assert one.model.path == "default" and one.render == s.render
    assert two.render.max_resolution == 128 and two.render.device == "cuda"
    assert three.render.device == "cpu" and three.model.path == "default"
    assert [fallback.next_level(s, g, n) for n in range(4)] == [1, 2, 3, 3]
    assert fallback.describe(2) == "embedded default model + lower resolution"


def test_steps_that_change_nothing_are_skipped() -> None:
    g = GallerySettings(safe_resolution=128)
    plain = show()  # default model already, device auto
    assert fallback.next_level(plain, g, 0) == 2  # straight to the lower resolution
    assert fallback.next_level(plain, g, 0, on_cpu=True) == 2
    assert fallback.next_level(plain, g, 2, on_cpu=True) == 2  # already on the CPU: nothing left
    small = show("[render]\nmax_resolution = 64")
    assert fallback.next_level(small, g, 0) == 3  # already below the safe resolution


def test_backoff_and_steps_follow_the_crash_times() -> None:
    policy = RestartPolicy(
        GallerySettings(restart_delay=1, restart_delay_max=5, crash_window=60, crashes_per_step=3)
    )
    decisions = [policy.crashed(t, ran_for=2) for t in (0, 3, 8, 20, 30)]
    assert [d.delay for d in decisions] == [1, 2, 4, 5, 5]
    assert [d.step_down for d in decisions] == [False, False, True, False, False]
    calm = policy.crashed(1000, ran_for=900)  # after a long calm run the wait starts over
    assert calm.delay == 1 and not calm.step_down
    spread = RestartPolicy(GallerySettings(crash_window=10, crashes_per_step=2))
    assert not spread.crashed(0, 1).step_down and not spread.crashed(20, 1).step_down


def test_the_renderer_adapts_the_show_to_the_machine() -> None:
    s = show('[render]\ndevice = "cuda"\n[gallery]\ncpu_resolution = 64\n[display]\nallow_quit = true')
    cpu, notes = unattended(s, 0, cuda=False)
    assert cpu.render.device == "cpu" and cpu.render.max_resolution == 64 and not cpu.display.allow_quit
    assert notes == ["the show asks for CUDA but there is no usable GPU: playing on the CPU"]
    gpu, notes = unattended(s, 0, cuda=True)
    assert gpu.render.device == "cuda" and gpu.render.max_resolution == 0 and not notes
    assert unattended(s, 3, cuda=True)[0].render.device == "cpu"
    assert unattended(show(), 0, cuda=False)[1] == []  # "auto" on a CPU machine is no problem
