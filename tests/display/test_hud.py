from installation.display.hud import hud_lines
from installation.display.keys import action_of
from installation.engine.engine import EngineStats

STATS = EngineStats(
    rendered_fps=20.0,
    batch_ms=40.0,
    render_ms=35.0,
    batch=1,
    level=128,
    lead_ms=66.7,
    threads=1,
    slowdown=1.1,
    discarded=0,
    version=3,
    frames=100,
    busy_s=4.0,
    generator_s=3.5,
    latents_s=0.2,
    noise_s=0.05,
    convert_s=0.02,
)


def test_the_hud_shows_rates_render_state_latency_and_parameters():
    lines = hud_lines(
        STATS, 60.0, {"psi": 0.7, "keyframe": 2, "glow": True}, full_resolution=256, paused=True
    )
    text = "\n".join(lines)
    for part in (
        "displayed  60.0 fps",
        "rendered  20.0 fps",
        "generator  35.0 ms",
        "batch 1",
        "level 128/256 px",
        "latency up to ~ 123 ms",
        "PAUSED",
        "psi 0.7",
        "keyframe 2",
        "glow True",
    ):
        assert part in text, part


def test_the_hud_before_the_engine_runs_and_with_a_note():
    lines = hud_lines(None, 30.0, {}, note="not reloaded: bad.toml:3: ...")
    assert "starting" in lines[0] and lines[-1].startswith("not reloaded")


def test_keys_name_their_actions():
    assert [action_of(k) for k in ("space", "left", "right", "h", "f", "s", "escape", "q", "x")] == [
        "pause",
        "previous",
        "next",
        "hud",
        "fullscreen",
        "screenshot",
        "quit",
        "quit",
        None,
    ]
