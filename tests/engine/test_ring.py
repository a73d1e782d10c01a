import threading

import numpy as np
import torch

from installation.engine.frames import Frame
from installation.engine.ring import FrameRing

SHAPE = (2, 2, 3)


def alloc(shape):
    return torch.zeros(shape, dtype=torch.uint8)


def publish(ring: FrameRing, times, version=0, shape=SHAPE):
    buffers = ring.acquire(len(times), shape, timeout=1)
    frames = [
        Frame(t, b.numpy(), version, serial=int(t * 100) + 1000 * version)
        for t, b in zip(times, buffers, strict=True)
    ]
    ring.publish(frames, buffers)
    return frames


def test_buffers_are_reused_and_never_more_than_capacity():
    allocated = []
    ring = FrameRing(4, lambda shape: allocated.append(shape) or alloc(shape))
    publish(ring, [0.0, 0.1, 0.2, 0.3])
    assert ring.acquire(1, SHAPE, timeout=0.01) is None  # full: waits for the display
    ring.pair_at(0.25)  # the display moved on: frames before 0.2 are free again
    publish(ring, [0.4, 0.5])
    assert len(allocated) == 4 and len(ring) == 4


def test_a_waiting_producer_is_woken_by_the_display():
    ring = FrameRing(2, alloc)
    publish(ring, [0.0, 1.0])
    got = []
    waiter = threading.Thread(target=lambda: got.append(ring.acquire(1, SHAPE, timeout=5)))
    waiter.start()
    ring.pair_at(1.5)
    waiter.join()
    assert got[0] is not None and len(got[0]) == 1


def test_discard_retires_stale_look_ahead_but_keeps_the_pair_intact_until_the_next_call():
    ring = FrameRing(6, alloc)
    old = publish(ring, [0.0, 0.1, 0.2, 0.3])
    for f in old:
        f.pixels[:] = int(f.t * 100)
    pair = ring.pair_at(0.25)
    assert ring.discard(0.3, below_version=1) == 1 and ring.discard(0.0, below_version=0) == 0
    new = publish(ring, [0.3, 0.4], version=1)
    assert np.all(pair.b.pixels == 30)  # the discarded frame's buffer was not handed out again
    assert [f.t for f in (ring.pair_at(0.35).a, ring.pair_at(0.35).b)] == [0.3, 0.4]
    assert ring.pair_at(0.35).a is new[0]


def test_a_frame_for_a_time_already_held_replaces_it():
    ring = FrameRing(4, alloc)
    publish(ring, [1.0])
    again = publish(ring, [1.0], version=1)
    assert len(ring) == 1 and ring.holds(1.0, 1) and ring.pair_at(1.0).a is again[0]


def test_buffers_of_another_size_make_room_for_a_new_level():
    ring = FrameRing(2, alloc)
    publish(ring, [0.0, 0.1])
    ring.pair_at(0.2)  # frees the first
    bigger = ring.acquire(1, (4, 4, 3), timeout=0.1)
    assert bigger is not None and tuple(bigger[0].shape) == (4, 4, 3)


def test_close_wakes_a_waiting_producer():
    ring = FrameRing(1, alloc)
    publish(ring, [0.0])
    got = []
    waiter = threading.Thread(target=lambda: got.append(ring.acquire(1, SHAPE)))
    waiter.start()
    ring.close()
    waiter.join(timeout=2)
    assert got == [None]
