"""The producer thread with a real generator and a hand-driven clock."""

import time

import numpy as np
import pytest

from installation.backends import TorchEagerBackend
from installation.engine import Engine, EngineSettings, ShowClock
from installation.engine.frames import Frame, FramePair, blend
from installation.model.canvas import with_canvas
from installation.model.imaging import to_uint8
from tests.engine.live_helpers import HandClock, SlerpSource, flat_costs, tiny_backend
from tests.polling import wait_for

LEVELS = [32, 64]


@pytest.fixture
def rig():
    hand = HandClock()
    backend = tiny_backend(64)
    source = SlerpSource(backend.G)
    settings = EngineSettings(min_resolution=32, batch=2, threads=1)
    engine = Engine(backend, source, ShowClock(hand), settings, costs=flat_costs(LEVELS)).start()
    yield hand, backend, source, engine
    engine.stop()
    assert engine.error is None


def expected(backend, source, t: float, level: int) -> np.ndarray:
    return to_uint8(backend.render(source.latents([t]).ws, stop_res=level))[0]


def assert_same_picture(pixels: np.ndarray, reference: np.ndarray) -> None:
    """Batched and single renders differ by float rounding (1e-4): a level at most."""
    assert np.abs(pixels.astype(int) - reference).max() <= 1


def test_frames_are_rendered_ahead_for_their_presentation_times(rig):
    hand, backend, source, engine = rig
    pair = wait_for(lambda: engine.pair_at(0.0))
    lead = engine.stats.lead_ms / 1000
    assert pair.a.t >= lead - 1e-9  # nothing is rendered for a time sooner than one lead
    assert pair.a.t <= lead + 0.1
    assert engine.clock.now() == 0.0
    # a frame is the picture of its time, whatever the batch it was rendered in
    assert_same_picture(pair.a.pixels, expected(backend, source, pair.a.t, 64))


def test_a_parameter_change_retires_the_look_ahead_and_shows_within_one_lead(rig):
    hand, backend, source, engine = rig
    published = []
    engine.add_tap(lambda f: published.append((f.t, f.version, f.pixels.copy())))
    wait_for(lambda: engine.pair_at(0.0))
    lead = engine.stats.lead_ms / 1000
    time.sleep(0.1)  # the producer has filled its look-ahead and idles (the clock stands still)
    hand.t += 0.05
    source.set_offset(0.3)
    wait_for(lambda: any(version == 1 for _, version, _ in published))
    assert engine.stats.discarded >= 1
    t, _, pixels = min(p for p in published if p[1] == 1)
    # the new inputs start at now + lead (the lead is re-estimated from every render)
    lead = max(lead, engine.stats.lead_ms / 1000)
    assert 0.05 < t <= 0.05 + 2 * lead + 1 / 60
    assert_same_picture(pixels, expected(backend, source, t, 64))


def test_frames_before_the_change_stay_as_a_bridge(rig):
    hand, backend, source, engine = rig
    wait_for(lambda: engine.pair_at(0.0))
    time.sleep(0.1)
    source.set_offset(0.3)  # at show time 0, before any frame is due
    wait_for(lambda: engine.stats.version == 1 and engine.stats.discarded > 0)
    # look-ahead frames after now + lead were rendered from the old inputs: all retired
    newest = wait_for(lambda: engine.pair_at(200.0))
    assert newest.a.version == 1


def test_a_paused_show_renders_the_frame_at_the_paused_time(rig):
    hand, backend, source, engine = rig
    engine.clock.pause()
    source.set_offset(-0.2)
    pair = wait_for(lambda: (p := engine.pair_at(0.0)) and p.a.t == 0.0 and p.a.version == 1 and p)
    assert pair.alpha == 0
    assert_same_picture(pair.a.pixels, expected(backend, source, 0.0, 64))


@pytest.mark.parametrize("budget_ms, level", [(1e-3, 32), (1e4, 64)])
def test_the_probe_and_budget_pick_the_level(budget_ms, level):
    backend = tiny_backend(64)
    source = SlerpSource(backend.G)
    settings = EngineSettings(frame_budget_ms=budget_ms, min_resolution=32, max_batch=2)
    engine = Engine(backend, source, ShowClock(HandClock()), settings).start()
    try:
        pair = wait_for(lambda: engine.pair_at(1e9))
        assert engine.stats.level == level and pair.a.pixels.shape == (level, level, 3)
    finally:
        engine.stop()


@pytest.mark.parametrize("batch", [4, None])
def test_a_fixed_batch_past_the_latency_bound_is_named_once(batch, caplog):
    backend = tiny_backend(64)
    source = SlerpSource(backend.G)
    settings = EngineSettings(batch=batch, threads=1, frame_budget_ms=1e4, latency_ms=250.0)
    costs = flat_costs(LEVELS, ms=40.0)  # a batch of 4: 160 ms, a bound of 393 ms at 60 Hz
    engine = Engine(backend, source, ShowClock(HandClock()), settings, costs).start()
    try:
        wait_for(lambda: engine.pair_at(0.0))
    finally:
        engine.stop()
    warnings = [r.getMessage() for r in caplog.records if "render.batch" in r.getMessage()]
    if batch is None:
        assert warnings == []
    else:
        assert warnings == [
            "render.batch = 4: a batch takes about 160 ms here, so a change can take 393 ms to reach"
            ' the screen, over the 250 ms bound; batch = "auto" keeps within it'
        ]


def test_an_error_in_the_producer_is_kept_for_the_display():
    backend = tiny_backend(64)
    source = SlerpSource(backend.G)
    source.latents = lambda times: 1 / 0
    engine = Engine(
        backend, source, ShowClock(HandClock()), EngineSettings(threads=1), flat_costs(LEVELS)
    ).start()
    wait_for(lambda: engine.error is not None)
    engine.stop()
    assert isinstance(engine.error, ZeroDivisionError)


class GraphsBuilt(TorchEagerBackend):
    """Stands for a backend that renders graphs: `built` says whether they are there yet."""

    name = "graphs"

    def __init__(self, built: bool) -> None:
        eager = tiny_backend(64)
        super().__init__(eager.G, eager.device, eager.precision)
        self.built = built

    def ready(self, stop_res=None, batch=1, noise_fields=False) -> bool:
        return self.built


@pytest.mark.parametrize("built", [True, False])
def test_renders_much_slower_than_probed_make_it_probe_the_thread_count_again(monkeypatch, built):
    import installation.engine.engine as engine_module

    calls = []
    monkeypatch.setattr(engine_module, "RETHREAD_WAIT_S", (0.0, 0.0))
    monkeypatch.setattr(
        engine_module, "pick_threads", lambda backend, latents, level: calls.append(backend) or 1
    )
    monkeypatch.setattr(engine_module, "timing_twin", lambda backend: "torch eager")
    backend = GraphsBuilt(built)
    # probed costs of 0.01 ms: every real render is far slower than "probed"
    engine = Engine(
        backend,
        SlerpSource(backend.G),
        ShowClock(),
        EngineSettings(min_resolution=32),
        costs=flat_costs(LEVELS, ms=0.01),
    ).start()
    try:
        wait_for(lambda: len(calls) >= 2)
    finally:
        engine.stop()
    assert engine.error is None and engine.stats.threads == 1
    # timed on the graph once it is built, else on torch eager, which renders the level meanwhile
    assert set(calls) == ({backend} if built else {"torch eager"})


@pytest.mark.parametrize("max_resolution", [None, 32])
def test_a_canvas_model_fills_the_ring_with_frames_of_its_shape_at_each_level(max_resolution):
    wide = with_canvas(tiny_backend(64).G, "9:16")
    backend = TorchEagerBackend(wide, "cpu", "fp32")
    source = SlerpSource(wide)
    settings = EngineSettings(min_resolution=32, max_resolution=max_resolution, batch=2, threads=1)
    engine = Engine(backend, source, ShowClock(HandClock()), settings, costs=flat_costs(LEVELS)).start()
    try:
        pair = wait_for(lambda: engine.pair_at(0.0))
        level = max_resolution or 64
        assert pair.a.pixels.shape == (level * 7 // 4, level, 3)
        assert_same_picture(pair.a.pixels, expected(backend, source, pair.a.t, level))
    finally:
        engine.stop()
    assert engine.error is None
    # a cross-fade over a resolution switch keeps the canvas's shape
    small, large = (np.zeros((lv * 7 // 4, lv, 3), np.uint8) for lv in LEVELS)
    mixed = blend(FramePair(Frame(0.0, small, 0, 0), Frame(0.1, large, 0, 1), 0.5))
    assert mixed.shape == large.shape


def test_levels_timed_on_torch_eager_while_built_are_timed_again_on_the_built_graph(tmp_path):
    from installation.backends import create_backend, onnxrt

    if not onnxrt.installed_providers():
        pytest.skip("onnxruntime is not installed")
    G = tiny_backend(16).G
    backend = create_backend(G, "cpu", "fp32", "onnxruntime-cpu", cache_dir=tmp_path, background=True)
    settings = EngineSettings(min_resolution=16, threads=1)  # one level: one graph to build
    engine = Engine(backend, SlerpSource(G), ShowClock(HandClock()), settings).start()
    try:
        wait_for(lambda: engine.costs is not None)
        assert engine.costs.pending == {16}  # probed on torch eager: the graph was not built yet
        wait_for(lambda: not engine.costs.pending, timeout=120, what="the graph's build and a new timing")
        assert backend.ready(16) and engine.error is None
    finally:
        engine.stop()


def test_the_next_level_up_is_timed_again_however_slow_it_was_predicted():
    """A level mistimed at start-up (its graph timed while another one loaded: seconds per
    frame) would otherwise be planned on that number for the whole show."""
    from installation.engine.planner import Costs

    backend = tiny_backend(16)
    settings = EngineSettings(min_resolution=8, threads=1)
    mistimed = Costs({8: 1.0, 16: 60_000.0}, {1: 1.0}, pending=frozenset({16}))
    engine = Engine(backend, SlerpSource(backend.G), ShowClock(HandClock()), settings, costs=mistimed).start()
    try:
        wait_for(lambda: not engine.costs.pending, timeout=30, what="16 px timed again")
        assert engine.costs.frame_ms[16] < 1000 and engine.error is None
        wait_for(lambda: engine.stats.level == 16, timeout=30, what="the engine to go up to 16 px")
    finally:
        engine.stop()


def test_the_batch_time_is_broken_down_by_part(rig):
    hand, backend, source, engine = rig
    wait_for(lambda: engine.stats.frames >= 4)
    s = engine.stats
    parts = [s.latents_s, s.noise_s, s.generator_s, s.convert_s]
    assert all(part > 0 for part in parts) and sum(parts) <= s.busy_s
    assert 0 < s.generator_cpu_s  # the producer thread's own CPU in the generator
