"""A recording on a disk that fills up ends cleanly: a playable file, a one-line reason, and the
frames that follow are ignored rather than queued (the show goes on)."""

import os
import subprocess

import cv2
import numpy as np
import pytest

from installation.engine.frames import Frame
from installation.sinks import Recorder, VideoFile

DISK_BYTES = 2 * 2**20


@pytest.fixture
def small_disk(tmp_path):
    """A 2 MiB tmpfs: a real filesystem that fills up (needs root, as on the CI machines)."""
    folder = tmp_path / "disk"
    folder.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES}", "tmpfs", str(folder)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_full_disk_ends_the_recording_with_a_playable_file(small_disk):
    path = small_disk / "live.mp4"
    size = (256, 256)
    recorder = Recorder(VideoFile(path, 30, size), 30, size, disk=small_disk, reserve_bytes=2**20)
    rng = np.random.default_rng(0)
    for i in range(600):  # noise compresses badly: the disk fills within a few dozen frames
        recorder.offer(Frame(i / 30, rng.integers(0, 255, (256, 256, 3), dtype=np.uint8), 0, i + 1))
        if recorder.error:
            break
    recorder.close()
    assert recorder.error == "the disk is full"
    assert recorder.status().state == "error: the disk is full"
    video = cv2.VideoCapture(str(path))
    readable = 0
    while video.read()[0]:
        readable += 1
    assert 0 < readable == recorder.written < 600
