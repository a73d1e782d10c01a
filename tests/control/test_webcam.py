"""The webcam path through cv2.VideoCapture, on a generated video of a moving bright square."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from installation.control.surfaces import ControlSurfaces
from installation.control.webcam_features import FeatureExtractor
from installation.params.bus import ParameterBus
from tests.control.helpers import QUIET, eventually, settled

FPS = 30
EMPTY, MOVING = 15, 45  # frames before the square comes in; frames it moves for


def square_video(path: Path) -> Path:
    """Dark frames, then a bright square crossing left to right, then dark frames again."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (320, 240))
    for i in range(EMPTY + MOVING + 45):
        frame = np.full((240, 320, 3), 20, np.uint8)
        if EMPTY <= i < EMPTY + MOVING:
            x = 10 + (i - EMPTY) * 5
            cv2.rectangle(frame, (x, 90), (x + 60, 150), (60, 200, 250), -1)
        writer.write(frame)
    writer.release()
    assert path.stat().st_size > 0, "OpenCV could not write MJPG video"
    return path


SHOW = (
    QUIET
    + """
[webcam]
enabled = true
source = "square.avi"
presence_hold = 0.3
release_seconds = 0.2

[[mappings]]
webcam = "motion_x"
to = "radius"

[[mappings]]
webcam = "presence"
to = "mix_amount"
"""
)


def test_features_follow_the_square(running, tmp_path: Path) -> None:
    square_video(tmp_path / "square.avi")
    surfaces, bus = running(SHOW)
    seen: list[dict] = []
    end = time.monotonic() + (EMPTY + MOVING + 30) / FPS + 0.5
    while time.monotonic() < end:
        seen.append(surfaces.hud())
        time.sleep(1 / FPS)
    frames = [s for s in seen if s.get("webcam") == "running"]
    moving = [s for s in frames if s["motion"] > 0.005]
    xs = [s["motion_x"] for s in moving]
    assert len(xs) > 20 and xs[-1] - xs[0] > 0.5  # the centroid crossed the picture with the square
    assert np.mean(np.diff(xs) > -0.02) > 0.9  # and moved left to right
    presence = [s["presence"] for s in frames]
    on = presence.index(1.0)
    assert 0.0 in presence[on:], "presence never ended after the square left"
    assert all(p == 0.0 for p in presence[:on])
    assert {"brightness", "hue", "faces"} <= set(frames[0])
    assert abs(frames[on + 5]["hue"] - 0.11) < 0.06  # the square's orange (BGR 60, 200, 250)
    assert settled(bus)["radius"] > 0.5  # the mapping drove the parameter (0..2 from 0..1)


def test_a_lost_camera_releases_its_parameters_and_comes_back(show_file, tmp_path: Path) -> None:
    square_video(tmp_path / "square.avi")  # the loader refuses a video file that is not there
    show = show_file(SHOW)
    (tmp_path / "square.avi").unlink()  # and then it goes, like a camera unplugged
    bus = ParameterBus(show.parameters)
    surfaces = ControlSurfaces(show, bus)
    surfaces.controls.write("radius", 1.8, "webcam", "webcam")  # where the camera had left it
    surfaces.start()
    try:
        assert eventually(lambda: surfaces.hud().get("webcam") == "lost")
        assert eventually(lambda: settled(bus)["radius"] == 0.5)  # eased back to the default
        square_video(tmp_path / "square.avi")  # the camera is back
        assert eventually(lambda: surfaces.hud().get("webcam") == "running", timeout=4.0)
        assert surfaces.webcam.camera.reopened == 1
    finally:
        surfaces.stop()


def test_face_detection_on_a_picture_without_faces() -> None:
    features = FeatureExtractor(faces=True).update(np.zeros((240, 320, 3), np.uint8))
    assert features.faces == 0 and features.face_size == 0.0


NO_CAMERA = """
import logging, sys, time
logging.basicConfig(level=logging.INFO, stream=sys.stderr)
from installation.control.webcam import Webcam
from installation.control.webcam_features import FeatureExtractor
sources = [int(s) if s.isdigit() else s for s in sys.argv[1:]]
cameras = [Webcam(source, FeatureExtractor(), lambda features: None) for source in sources]
for camera in cameras:
    camera.start()
time.sleep(4)  # several attempts to reopen each (0.5 s, 1 s, 2 s apart)
for camera in cameras:
    camera.stop()
"""


def test_no_camera_prints_one_line_per_loss_not_opencvs_own() -> None:
    sources = ["7", "http://127.0.0.1:9/camera.mjpg", "/nonexistent/camera.avi"]
    done = subprocess.run(
        [sys.executable, "-c", NO_CAMERA, *sources],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == len(sources), lines
    assert all("webcam: cannot open" in line for line in lines), lines
