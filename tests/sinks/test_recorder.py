"""Recording the live loop: constant frame rate from frames at render times, and never blocking."""

import time

import cv2
import numpy as np

from installation.engine import Engine, EngineSettings, ShowClock
from installation.engine.frames import Frame
from installation.sinks import Recorder, VideoFile
from tests.engine.live_helpers import HandClock, SlerpSource, flat_costs, tiny_backend


class Frames:
    def __init__(self, delay: float = 0.0):
        self.images, self.delay, self.closed = [], delay, False

    def write(self, image):
        time.sleep(self.delay)
        self.images.append(image.copy())

    def close(self):
        self.closed = True


def frame(t: float, value: int) -> Frame:
    return Frame(t, np.full((4, 4, 3), value, np.uint8), version=0, serial=value)


def test_frames_fill_the_video_frames_up_to_the_next_one():
    sink = Frames()
    recorder = Recorder(sink, fps=10, size=(4, 4))
    for t, value in [(5.0, 1), (5.1, 2), (5.32, 3), (5.2, 9), (5.4, 4)]:  # 5.2: re-rendered, already written
        recorder.offer(frame(t, value))
    recorder.close()
    assert [int(image[0, 0, 0]) for image in sink.images] == [1, 2, 2, 3, 4]
    assert sink.closed and recorder.dropped == 0


def test_a_slow_sink_drops_frames_instead_of_slowing_the_caller():
    sink = Frames(delay=0.05)
    recorder = Recorder(sink, fps=10, size=(4, 4), queue_size=2)
    start = time.perf_counter()
    for i in range(20):
        recorder.offer(frame(i / 10, i))
    assert time.perf_counter() - start < 0.05
    recorder.close()
    assert recorder.dropped > 0 and len(sink.images) == recorder.written


def test_frames_of_another_size_are_placed_on_the_video_size():
    sink = Frames()
    recorder = Recorder(sink, fps=10, size=(8, 4))
    recorder.offer(frame(0.0, 50))
    recorder.close()
    assert sink.images[0].shape == (4, 8, 3) and np.all(sink.images[0][:, 2:6] == 50)
    assert not sink.images[0][:, :2].any()


def test_a_recorder_taps_the_running_engine_into_an_mp4(tmp_path):
    hand = HandClock()
    backend = tiny_backend(64)
    engine = Engine(
        backend,
        SlerpSource(backend.G),
        ShowClock(hand),
        EngineSettings(min_resolution=32, threads=1),
        costs=flat_costs([32, 64]),
    )
    recorder = Recorder(VideoFile(tmp_path / "live.mp4", 30, (64, 64)), fps=30, size=(64, 64))
    engine.add_tap(recorder.offer)
    engine.start()
    try:
        for _ in range(30):  # one second of show time, in steps
            hand.t += 1 / 30
            time.sleep(0.01)
    finally:
        engine.stop()
        recorder.close()
    video = cv2.VideoCapture(str(tmp_path / "live.mp4"))
    assert recorder.written > 10 and int(video.get(cv2.CAP_PROP_FRAME_COUNT)) == recorder.written
