"""`run.py render --ray` on a local Ray cluster of two workers, one of them lost mid-chunk: the
music video is the same file, byte for byte, as the one rendered here."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import subprocess
import sys

import av
import numpy as np
import soundfile

from installation.cli import main
from tests.audio.signals import RATE, click_track
from tests.parts import require_part
from tests.sinks.show_files import write_show

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]
FPS = 6
PULSE = """
[[mappings]]
audio = "beat"
to = "psi"
out_min = 0.7
out_max = 1.6
"""


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_ray_render_that_loses_a_worker_is_the_render_made_here(tmp_path, capfd):
    if importlib.util.find_spec("ray") is None:
        require_part("ray", "the ray extra is not installed (pip install 'installation[ray]')")
    show = write_show(tmp_path, period=20.0, extra=PULSE)
    song = tmp_path / "song.wav"
    soundfile.write(song, click_track(120.0, 2.0)[0], RATE)
    render = ["render", str(show), "--audio", str(song), "--fps", str(FPS), "--backend", "torch"]
    # 4 chunks of 3 frames; 128 px, since x264 itself is not repeatable on frames much smaller
    render += ["--size", "128x128", "--chunk-seconds", "0.5", "--threads", "1"]
    here, farmed, crashed = tmp_path / "here.mp4", tmp_path / "farmed.mp4", tmp_path / "crashed"
    assert main([*render, "--out", str(here)]) == 0, capfd.readouterr().err
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "INSTALLATION_FARM_CRASH": f"2:{crashed}"}
    done = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), *render, "--out", str(farmed), "--ray", "--workers", "2"],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert "on 2 Ray workers" in done.stderr
    assert crashed.exists()  # the worker rendering chunk 2 did die in it, and its chunk was retried
    assert digest(farmed) == digest(here)
    with av.open(str(farmed)) as container:
        assert container.streams.audio[0].codec_context.name == "aac"
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    assert len(frames) == 2 * FPS and not np.array_equal(frames[0], frames[-1])
    assert not list(tmp_path.glob(".*chunks*"))  # the chunk files are gone
