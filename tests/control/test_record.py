"""Recording the live show from the R key and from OSC `/record`, as `play` wires them."""

import time

import cv2
from pythonosc.udp_client import SimpleUDPClient

from tests.control.helpers import eventually


def key(name: str):
    import pygame

    return pygame.event.Event(pygame.KEYDOWN, key=pygame.key.key_code(name), mod=0, unicode=name, scancode=0)


def frames_in(path) -> int:
    video = cv2.VideoCapture(str(path))
    count = 0
    while video.read()[0]:
        count += 1
    return count


def finished_video(folder) -> list:
    """The recordings in `folder` once their writers have closed them (a readable frame count)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        videos = sorted(folder.glob("*.mp4"))
        if videos and all(frames_in(v) > 0 for v in videos):
            return videos
        time.sleep(0.1)
    return sorted(folder.glob("*.mp4"))


def test_osc_record_starts_and_stops_a_recording_of_the_show(live_show, tmp_path):
    live, presenter, surfaces = live_show
    live.recordings = tmp_path / "recordings"
    client = SimpleUDPClient(*surfaces.osc.address)
    client.send_message("/installation/record", 1)
    assert eventually(lambda: live.recording is not None, timeout=5)
    assert any(line.startswith("recording ") for line in live.hud_lines(60.0))
    presenter.run(seconds=1.5)  # frames flow while the display runs
    client.send_message("/installation/record", 0)
    assert eventually(lambda: live.recording is None, timeout=5)
    (video,) = finished_video(live.recordings)
    assert frames_in(video) > 10  # 30 fps of show time, held where rendering was slower


def test_the_r_key_toggles_recording(live_show, tmp_path):
    import pygame

    live, presenter, _surfaces = live_show
    live.recordings = tmp_path / "recordings"
    pygame.event.post(key("r"))
    presenter.run(seconds=1.0)
    assert live.recording is not None
    pygame.event.post(key("r"))
    presenter.run(seconds=0.2)
    assert live.recording is None
    (video,) = finished_video(live.recordings)
    assert frames_in(video) > 5
