import numpy as np
import pytest

from installation.engine.frames import Frame, FramePair, blend, pair_at
from installation.engine.schedule import next_times


def frame(t: float, value: int = 0, size: int = 4) -> Frame:
    return Frame(t, np.full((size, size, 3), value, np.uint8), version=0, serial=int(t * 1000))


def test_pair_at_weights_the_two_frames_around_t_by_their_times():
    frames = [frame(1.0), frame(2.0), frame(4.0)]
    pair = pair_at(frames, 3.0)
    assert (pair.a.t, pair.b.t, pair.alpha) == (2.0, 4.0, 0.5)
    assert pair_at(frames, 2.0).alpha == 0 and pair_at(frames, 2.0).a.t == 2.0


def test_pair_at_holds_the_ends_and_can_skip_blending():
    frames = [frame(1.0), frame(2.0)]
    assert pair_at(frames, 0.5) == FramePair(frames[0])
    assert pair_at(frames, 9.0) == FramePair(frames[1])
    assert pair_at(frames, 1.5, blend=False) == FramePair(frames[0])
    assert pair_at([], 1.0) is None


def test_blend_cross_fades_and_brings_a_smaller_frame_up():
    out = blend(FramePair(frame(0, 0), frame(1, 200), 0.25))
    assert out.shape == (4, 4, 3) and np.all(out == 50)
    mixed = blend(FramePair(frame(0, 100, size=2), frame(1, 100, size=8), 0.5))
    assert mixed.shape == (8, 8, 3) and np.all(mixed == 100)
    held = frame(0, 7)
    assert blend(FramePair(held)) is not held.pixels and np.all(blend(FramePair(held)) == 7)


def test_a_batch_starts_one_lead_ahead_and_continues_the_look_ahead():
    assert next_times(10.0, lead=0.5, dt=0.1, batch=3, end=None) == pytest.approx([10.5, 10.6, 10.7])
    # frames held up to 10.7: the next batch continues from there ...
    assert next_times(10.3, lead=0.5, dt=0.1, batch=3, end=10.7) == pytest.approx([10.8, 10.9, 11.0])
    # ... but not while the held frames already reach a batch past now + lead
    assert next_times(10.0, lead=0.5, dt=0.1, batch=3, end=10.9) is None
    # frames that end before now + lead (old inputs kept as a bridge) do not delay the batch
    assert next_times(10.0, lead=0.5, dt=0.1, batch=2, end=10.2) == pytest.approx([10.5, 10.6])
