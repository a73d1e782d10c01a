"""Motion: deterministic, seamless, continuous; each stage (path, mixing, truncation, noise) as specified."""

import numpy as np
import pytest
import torch

from installation.errors import UserError
from installation.motion import Motion, MotionClock, NoiseLoop
from installation.motion.latents import seed_z
from installation.motion.paths import orbit, wander
from installation.params import ParameterBus
from tests.motion.conftest import snapshot

KEYS = "[motion]\nkeyframes = [3, 7, 11, 19]\n"


def ws_at(motion, phases, **values):
    return motion.evaluate(snapshot(motion.show, **values), np.asarray(phases, dtype=np.float64)).ws


def test_shapes_and_determinism(make_show, space):
    show = make_show(KEYS + 'noise = "loop"\n')
    a = Motion(show, space).evaluate(snapshot(show), np.linspace(0, 3, 16))
    b = Motion(show, space).evaluate(snapshot(show), np.linspace(0, 3, 16))
    assert a.ws.shape == (16, space.num_ws, space.w_dim) and a.ws.dtype == np.float32
    assert np.array_equal(a.ws, b.ws)
    assert a.noise.mode == "loop" and a.noise.strength == 1.0


def test_same_show_and_clock_give_the_same_latents(make_show, space):
    show = make_show(KEYS + 'path = "walk"\n')

    def run():
        motion, clock = Motion(show, space), MotionClock(show.motion, 4)
        bus = ParameterBus(show.parameters, clock=lambda: 0.0)
        out = []
        for step in range(6):
            bus.set("speed", 1 + step % 3, t=step * 0.2)
            times = step * 0.2 + np.arange(4) / 20
            snap = bus.snapshot(times[0])
            out.append(motion.evaluate(snap, clock.phases(snap, times)).ws)
        return np.concatenate(out)

    assert np.array_equal(run(), run())


@pytest.mark.parametrize("interpolation", ["slerp", "lerp", "spline"])
@pytest.mark.parametrize("easing", ["linear", "cosine"])
def test_keyframe_loop_is_seamless_and_hits_keyframes(make_show, space, interpolation, easing):
    show = make_show(KEYS + f'interpolation = "{interpolation}"\neasing = "{easing}"\n')
    motion = Motion(show, space)
    ws = ws_at(motion, [0.0, 1.0, 5.0, 0.25, 0.5], psi=1.0)
    np.testing.assert_allclose(ws[0], ws[1], atol=1e-5)
    np.testing.assert_allclose(ws[0], ws[2], atol=1e-5)
    for w, seed in zip(ws[[0, 3, 4]], [3, 7, 11], strict=True):
        np.testing.assert_allclose(w[0], space.map(seed_z(seed, space.z_dim)[None])[0], atol=1e-4)


def test_loop_returns_after_one_period_of_time(make_show, space):
    show = make_show(KEYS + 'path = "loop"\nperiod_seconds = 8\n')
    motion, clock = Motion(show, space), MotionClock(show.motion, 4)
    snap = snapshot(show, radius=1.0)
    phases = clock.phases(snap, [0.0, 2.0, 8.0])
    np.testing.assert_allclose(phases, [0.0, 0.25, 1.0])
    ws = motion.evaluate(snap, phases).ws
    np.testing.assert_allclose(ws[0], ws[2], atol=1e-5)
    assert np.abs(ws[0] - ws[1]).max() > 0.1


def test_spline_velocity_is_continuous_at_keyframes(make_show, space):
    motion = Motion(make_show(KEYS + 'interpolation = "spline"\n'), space)
    h = 1e-4
    for key in range(4):
        p = key / 4
        w = ws_at(motion, [p - 2 * h, p - h, p, p + h, p + 2 * h], psi=1.0).astype(np.float64)
        left, right = (w[2] - w[0]) / (2 * h), (w[4] - w[2]) / (2 * h)
        assert np.abs(left).max() > 1  # moving, not paused
        np.testing.assert_allclose(left, right, rtol=0.02, atol=0.02 * np.abs(left).max())
    lerp = Motion(make_show(KEYS + 'interpolation = "lerp"\n'), space)
    w = ws_at(lerp, [0.25 - 2 * h, 0.25, 0.25 + 2 * h], psi=1.0).astype(np.float64)
    assert np.abs((w[1] - w[0]) - (w[2] - w[1])).max() > 1e-3  # a lerp has a corner there


def test_orbit_is_a_circle_in_a_plane_orthogonal_to_its_centre():
    center = seed_z(5, 64)
    offsets = orbit(np.linspace(0, 1, 9), center, seed=2)
    np.testing.assert_allclose(np.linalg.norm(offsets, axis=1), 8.0, rtol=1e-5)
    np.testing.assert_allclose(offsets @ center, 0, atol=1e-3)
    np.testing.assert_allclose(offsets[0], offsets[-1], atol=1e-5)
    assert not np.allclose(orbit(np.array([0.3]), center, seed=3), offsets[:1])


def test_walk_is_bounded_deterministic_and_does_not_repeat():
    phases = np.linspace(0, 200, 4001)
    walk = wander(phases, 64, seed=4)
    assert np.array_equal(walk, wander(phases, 64, seed=4))
    assert np.abs(walk).max() <= np.sqrt(2 * 16)
    assert 0.7 < walk.std() < 1.3  # like ordinary z
    assert np.sqrt(np.mean((walk[1:] - walk[:-1]) ** 2)) < 0.25  # smooth: 1/20 period apart, close
    correlation = np.mean(walk[:-20] * walk[20:]) / np.mean(walk * walk)  # one period apart
    assert abs(correlation) < 0.2


def test_walk_and_loop_stay_near_the_first_keyframe_by_radius(make_show, space):
    for path in ("loop", "walk"):
        motion = Motion(make_show(f'[motion]\npath = "{path}"\nkeyframes = [9]\n'), space)
        still = ws_at(motion, [0.1, 0.6], radius=0.0, psi=1.0)
        np.testing.assert_allclose(still[0], still[1], atol=1e-5)
        np.testing.assert_allclose(still[0, 0], space.map(seed_z(9, space.z_dim)[None])[0], atol=1e-4)


def test_seed_parameter_changes_the_loop(make_show, space):
    motion = Motion(make_show('[motion]\npath = "loop"\nkeyframes = [9]\n'), space)
    assert np.abs(ws_at(motion, [0.3], seed=1) - ws_at(motion, [0.3], seed=2)).max() > 1e-3


def test_clock_integrates_speed_and_tempo(make_show):
    show = make_show("[motion]\nperiod_seconds = 10\n")
    clock = MotionClock(show.motion)
    np.testing.assert_allclose(clock.phases(snapshot(show, speed=1.0), [0.0, 5.0]), [0.0, 0.5])
    # Doubling speed at t=5 doubles the rate from there on, without a jump.
    np.testing.assert_allclose(clock.phases(snapshot(show, speed=2.0), [5.0, 7.5]), [0.5, 1.0])
    beats = make_show("[motion]\nperiod_beats = 8\n")
    clock = MotionClock(beats.motion)
    np.testing.assert_allclose(clock.phases(snapshot(beats, bpm=120.0), [0.0, 2.0]), [0.0, 0.5])
    np.testing.assert_allclose(clock.phases(snapshot(beats, bpm=60.0), [2.0, 4.0]), [0.5, 0.75])


def test_the_phase_during_a_speed_glide_is_the_same_whatever_the_batches(make_show):
    """A sync follower's batches are not its leader's: the phase at a show time must not depend
    on them, while the speed glides (smoothing 1 s) from 1 to 3."""
    show = make_show("[motion]\nperiod_seconds = 10\n")
    bus = ParameterBus(show.parameters, clock=lambda: 0.0)
    bus.set("speed", 3.0, t=0.5)

    def phases_in_batches(size: int) -> np.ndarray:
        clock, times = MotionClock(show.motion), np.arange(240) / 60
        return np.concatenate([clock.phases(bus.snapshot(t[0]), t) for t in np.split(times, 240 // size)])

    one_by_one = phases_in_batches(1)
    np.testing.assert_allclose(phases_in_batches(8), one_by_one, rtol=0, atol=1e-12)
    np.testing.assert_allclose(phases_in_batches(240), one_by_one, rtol=0, atol=1e-12)
    # The speed glided: 0.5 s at 1, then 3.5 s towards 3, ending near 3.
    assert 1.0 < one_by_one[-1] / (4.0 / 10) < 3.0


def test_clock_seeks_on_keyframe_writes(make_show):
    show = make_show(KEYS + "period_seconds = 10\n")
    bus = ParameterBus(show.parameters, clock=lambda: 0.0)
    clock = MotionClock(show.motion, keyframe_count=4)
    assert clock.phases(bus.snapshot(0), [0.0, 12.5])[-1] == pytest.approx(1.25)
    bus.set("keyframe", 6)  # modulo 4: keyframe 2, in the current lap
    assert clock.phases(bus.snapshot(0), [12.5])[0] == pytest.approx(1.5)
    assert clock.phases(bus.snapshot(0), [15.0])[0] == pytest.approx(1.75)  # no second jump
    bus.set("keyframe", 2)  # the same keyframe again: jumps again
    assert clock.phases(bus.snapshot(0), [15.0])[0] == pytest.approx(1.5)


def test_clock_resolves_keyframe_steps_from_where_it_is(make_show):
    show = make_show(KEYS + "period_seconds = 10\n")
    bus = ParameterBus(show.parameters, clock=lambda: 0.0)
    clock = MotionClock(show.motion, keyframe_count=4)
    clock.phases(bus.snapshot(0), [0.0, 13.0])  # phase 1.3: at keyframe 1
    assert clock.keyframe_index() == 1
    bus.step("keyframe", 1)
    assert clock.phases(bus.snapshot(0), [13.0])[0] == pytest.approx(1.5)  # the next one: 2
    bus.step("keyframe", -1)
    bus.step("keyframe", -1)  # two steps between batches both count
    assert clock.phases(bus.snapshot(0), [13.0])[0] == pytest.approx(1.0)
    bus.set("keyframe", 3)
    bus.step("keyframe", 1)  # after an absolute write: from that keyframe
    assert clock.phases(bus.snapshot(0), [13.0])[0] == pytest.approx(1.0)
    assert not bus.step("psi", 1) and not bus.step("keyframe", 0.5)  # int parameters, whole steps

    def random_walk() -> list[int]:
        walk_bus = ParameterBus(show.parameters, clock=lambda: 0.0)
        walker = MotionClock(show.motion, keyframe_count=4)
        walker.phases(walk_bus.snapshot(0), [0.0])
        landed = []
        for _ in range(6):
            before = walker.keyframe_index()
            walk_bus.step("keyframe", "random")
            walker.phases(walk_bus.snapshot(0), [0.0])
            assert walker.keyframe_index() != before  # somewhere else
            landed.append(walker.keyframe_index())
        return landed

    assert random_walk() == random_walk()  # the same writes give the same keyframes


def test_truncation(make_show, space):
    motion = Motion(make_show(KEYS), space)
    ws = ws_at(motion, [0.3], psi=0.0)
    np.testing.assert_allclose(ws[0], np.broadcast_to(space.w_avg, ws[0].shape), atol=1e-6)
    ws = ws_at(motion, [0.3], psi=0.0, cutoff=4)
    full = ws_at(motion, [0.3], psi=1.0)
    np.testing.assert_allclose(ws[0, :4], np.broadcast_to(space.w_avg, (4, space.w_dim)), atol=1e-6)
    np.testing.assert_allclose(ws[0, 4:], full[0, 4:], atol=1e-6)


@pytest.mark.parametrize(
    "layers,rows",
    [("coarse", slice(0, 4)), ("middle", slice(4, 8)), ("fine", slice(8, 10)), ("2-5", slice(2, 6))],
)
def test_style_mixing(make_show, space, layers, rows):
    motion = Motion(make_show(KEYS + f'mix_layers = "{layers}"\nmix_seed = 99\n'), space)
    plain = ws_at(motion, [0.1], psi=1.0)
    mixed = ws_at(motion, [0.1], psi=1.0, mix_amount=1.0)
    other = space.map(seed_z(99, space.z_dim)[None])[0]
    np.testing.assert_allclose(mixed[0, rows], np.broadcast_to(other, mixed[0, rows].shape), atol=1e-5)
    outside = np.ones(space.num_ws, bool)
    outside[rows] = False
    np.testing.assert_array_equal(mixed[0, outside], plain[0, outside])
    half = ws_at(motion, [0.1], psi=1.0, mix_amount=0.5)
    np.testing.assert_allclose(half[0, rows], (plain[0, rows] + mixed[0, rows]) / 2, atol=1e-5)


def test_w_and_w_plus_keyframe_files(make_show, space, tmp_path):
    rng = np.random.default_rng(0)
    w_plus = rng.standard_normal((1, space.num_ws, space.w_dim)).astype(np.float32)
    w_rows = rng.standard_normal((2, space.w_dim)).astype(np.float32)
    z_rows = rng.standard_normal((2, space.z_dim)).astype(np.float32)
    np.save(tmp_path / "plus.npy", w_plus)
    np.savez(tmp_path / "rows.npz", w=w_rows)
    np.save(tmp_path / "z.npy", z_rows)
    show = make_show('[motion]\nkeyframes = ["plus.npy", "rows.npz", 4, "z.npy"]\ninterpolation = "lerp"\n')
    motion = Motion(show, space)
    assert len(motion.keyframes) == 6
    ws = ws_at(motion, np.arange(6) / 6, psi=1.0)
    np.testing.assert_allclose(ws[0], w_plus[0], atol=1e-6)
    np.testing.assert_allclose(ws[2], np.broadcast_to(w_rows[1], ws[2].shape), atol=1e-6)
    np.testing.assert_allclose(ws[5, 0], space.map(z_rows[1:])[0], atol=1e-5)


def test_keyframes_that_do_not_fit_the_model(make_show, space, tmp_path):
    np.save(tmp_path / "wide.npy", np.zeros((1, space.z_dim + 1), np.float32))
    with pytest.raises(
        UserError, match=r"show.toml: motion.keyframes\[0\]: wide.npy: z is 17 wide, the model.s is 16"
    ):
        Motion(make_show('[motion]\nkeyframes = ["wide.npy"]\n'), space)
    with pytest.raises(UserError, match="not conditional"):
        Motion(make_show("[model]\nclass_label = 2\n"), space)


def test_conditional_model_uses_class_labels(make_show):
    from installation.motion import LatentSpace
    from tests.model.helpers import tiny_generator

    space = LatentSpace.from_generator(tiny_generator(c_dim=5))
    with pytest.raises(UserError, match="conditional"):
        Motion(make_show(KEYS), space)
    motion = Motion(make_show(KEYS + 'keyframe_classes = [0, 1, 2, 3]\ninterpolation = "slerp"\n'), space)
    ws = ws_at(motion, [0.25], psi=1.0)
    z, c = seed_z(7, space.z_dim)[None], space.labels([1])
    np.testing.assert_allclose(ws[0, 0], space.map(z, c)[0], atol=1e-4)
    with pytest.raises(UserError, match="classes 0 to 4"):
        Motion(make_show("[model]\nclass_label = 5\n"), space)


def test_noise_instructions_and_loop(make_show, space, G):
    show = make_show(KEYS + 'noise = "loop"\nnoise_cycles = 3\n')
    batch = Motion(show, space).evaluate(snapshot(show, noise_strength=0.5), np.array([0.0, 0.1, 1.0]))
    assert batch.noise.mode == "loop" and batch.noise.strength == 0.5
    np.testing.assert_allclose(batch.noise.phase, [0.0, 0.3, 0.0], atol=1e-9)
    loop = NoiseLoop.for_generator(G, seed=1)
    fields = loop.at(np.array([0.0, 0.37, 1.0]))
    assert set(fields) >= {"b4.conv1", "b8.conv0", "b64.conv1"}
    for field in fields.values():
        torch.testing.assert_close(field[0], field[2], atol=1e-5, rtol=0)
    big = fields["b64.conv1"][1]
    assert big.shape == (1, 64, 64) and 0.85 < float(big.std()) < 1.15  # unit noise along the loop
    images = G.synthesis(torch.from_numpy(batch.ws), noise=fields, noise_gain=batch.noise.strength)
    assert images.shape == (3, 3, 64, 64) and torch.isfinite(images).all()


def test_loop_noise_fields_are_made_only_when_read(G):
    loop = NoiseLoop.for_generator(G, seed=1)
    fields = loop.at(np.array([0.0, 0.25, 0.125]))
    assert len(fields) == len(list(fields)) and "b64.conv1" in fields
    small = fields["b8.conv0"]
    assert "b8.conv0" in fields.made and "b64.conv0" not in fields.made  # the large ones never computed
    a, b, between = small
    torch.testing.assert_close(between, (a + b) * np.cos(np.pi / 4), atol=1e-5, rtol=0)  # on the loop
    assert small.shape == (3, 1, 8, 8) and 0.5 < float(a.std()) < 1.5
    assert fields["b64.conv1"].shape == (3, 1, 64, 64)
    torch.testing.assert_close(fields["b8.conv0"], small)  # the same values once the rest is made
