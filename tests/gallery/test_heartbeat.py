"""The heartbeat over a real socket pair: what crosses it, and what a sender notices."""

from __future__ import annotations

import threading

from installation.gallery import heartbeat
from installation.gallery.heartbeat import Beat, Pulse, Receiver, Sender


def test_beats_cross_whole_and_the_newest_wins() -> None:
    ours, theirs = heartbeat.channel()
    sender, receiver = Sender(theirs), Receiver(ours)
    assert receiver.drain() is None
    for frames in (1, 2, 3):
        assert sender.send(Beat(frames, 10.0 + frames, status={"fps": 60.0}))
    latest = receiver.drain()
    assert latest == Beat(3, 13.0, status={"fps": 60.0}) and receiver.received_at is not None


def test_garbage_and_oversized_status_do_not_break_the_reader() -> None:
    assert Beat.decode(b"\xff not json") is None
    assert Beat.decode(b'{"frames": "many", "last_frame": null, "sent": 0}') is None
    huge = Beat(5, 1.0, status={"log": "x" * (heartbeat.MAX_BYTES + 1)})
    assert Beat.decode(huge.encode()) == Beat(5, 1.0)  # the counters still arrive


def test_a_full_queue_drops_beats_instead_of_blocking() -> None:
    ours, theirs = heartbeat.channel()
    sender = Sender(theirs)
    sent = [sender.send(Beat(i, float(i))) for i in range(10_000)]
    assert sent[0] and not all(sent) and sender.connected
    ours.close()


def test_the_pulse_notices_a_vanished_supervisor() -> None:
    ours, theirs = heartbeat.channel()
    orphaned = threading.Event()
    pulse = Pulse(Sender(theirs), lambda: (1, 1.0), interval=0.01, on_orphaned=orphaned.set).start()
    ours.close()  # the supervisor died
    assert orphaned.wait(5)
    pulse.stop()


def test_a_failing_status_reader_does_not_silence_the_pulse() -> None:
    ours, theirs = heartbeat.channel()

    def broken() -> dict:
        raise RuntimeError("engine gone")

    assert Pulse(Sender(theirs), lambda: (7, 2.0), status=broken).beat()
    beat = Receiver(ours).drain()
    assert beat.frames == 7 and "engine gone" in beat.status["status_error"]
