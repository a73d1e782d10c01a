"""Audio end to end as an artist runs it: `run.py play` with a show whose sound is a file, and
harmony picking keyframes through `audio = "chroma"`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import soundfile

from installation.audio.features import FeatureExtractor
from installation.control.audio_control import AudioControl
from installation.control.controls import Controls
from installation.control.mappings import Mapping
from installation.params.bus import ParameterBus
from installation.show.loader import parse_show
from tests.audio.signals import RATE, click_track
from tests.control.helpers import QUIET
from tests.sinks.show_files import write_show

ROOT = Path(__file__).resolve().parents[2]


def test_run_py_play_hears_a_file_and_says_so(tmp_path) -> None:
    samples, _ = click_track(120, 3.0)
    soundfile.write(tmp_path / "clicks.flac", samples, RATE)
    show = write_show(
        tmp_path,
        extra=QUIET
        + """
[audio]
enabled = true
input = "file"
file = "clicks.flac"

[[mappings]]
audio = "onset_event"
to = "noise_strength"
""",
    )
    env = dict(os.environ, SDL_VIDEODRIVER="dummy") if not os.environ.get("DISPLAY") else dict(os.environ)
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "run.py"),
            "play",
            str(show),
            "--windowed",
            "--size",
            "160x120",
            "--seconds",
            "8",
            "--backend",
            "torch",  # no calibration of the backends first: the surfaces start at once
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert "audio input: file clicks.flac at 48000 Hz" in done.stderr
    assert "audio off" not in done.stderr and "Traceback" not in done.stderr


def test_the_strongest_pitch_class_picks_the_keyframe(tmp_path) -> None:
    text = (
        "[motion]\nkeyframes = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]\n"
        '[[mappings]]\naudio = "chroma"\nto = "keyframe"\n'
    )
    path = tmp_path / "show.toml"
    path.write_text(text, encoding="utf-8")
    show = parse_show(text, path)
    bus = ParameterBus(show.parameters)
    controls = Controls(bus)
    mappings = tuple(Mapping(s, controls.spec(s.to)) for s in show.mappings)
    audio = AudioControl(show.audio, tmp_path, lambda: mappings, controls)
    extractor = FeatureExtractor(show.audio, RATE)
    t = np.arange(RATE // 2) / RATE
    for hz, pitch_class in ((440.0, 9), (523.25, 0), (659.26, 4)):  # A4, C5, E5
        for features in extractor.feed((0.3 * np.sin(2 * np.pi * hz * t)).astype(np.float32)):
            audio.on_features(features)
        assert bus.snapshot()["keyframe"] == pitch_class
