"""`run.py render SHOW --audio song.wav`: a music video in exact sync, read back from the file."""

from __future__ import annotations

import math

import av
import numpy as np
import pytest
import soundfile

from installation.cli import main
from tests.audio.signals import RATE, click_track
from tests.sinks.show_files import write_show

FPS = 30
SONG_SECONDS = 4.0
BPM = 120.0

PULSE = """
[parameters.psi]
smoothing = 0.0  # the envelope shapes the pulse; the parameter's own smoothing would blur it

[[mappings]]
audio = "beat"
to = "psi"
out_min = 0.7
out_max = 1.6
attack = 0.0
release = 0.08
"""


@pytest.fixture(scope="module")
def song(tmp_path_factory):
    folder = tmp_path_factory.mktemp("video")
    show = write_show(folder, period=20.0, extra=PULSE)
    samples, clicks = click_track(BPM, SONG_SECONDS)
    path = folder / "song.wav"
    soundfile.write(path, np.stack([samples, 0.5 * samples], axis=1), RATE)  # stereo
    return folder, show, path, clicks


def render(show, song, out) -> int:
    return main(
        [
            "render",
            str(show),
            "--audio",
            str(song),
            "--fps",
            str(FPS),
            "--out",
            str(out),
            "--backend",
            "torch",
            # x264 was seen to give different bytes for the same 32-64 px frames from run to
            # run (128 px and up were stable), so the byte test encodes at a size it repeats at
            "--size",
            "128x128",
        ]
    )


def test_the_video_is_h264_with_the_sound_and_changes_most_on_the_beats(song, capsys) -> None:
    folder, show, path, clicks = song
    clip = folder / "clip.mp4"
    assert render(show, path, clip) == 0
    err = capsys.readouterr().err
    assert "analysed" in err and "BPM" in err and "120/120 frames" in err and "s left" in err
    with av.open(str(clip)) as container:
        video = container.streams.video[0]
        audio = container.streams.audio[0]
        assert video.codec_context.name == "h264" and audio.codec_context.name == "aac"
        assert audio.channels == 2 and audio.rate == RATE
        video_seconds = float(video.duration * video.time_base)
        audio_seconds = float(audio.duration * audio.time_base)
        frames = [f.to_ndarray(format="rgb24").astype(np.float32) for f in container.decode(video=0)]
    assert len(frames) == SONG_SECONDS * FPS and video_seconds == pytest.approx(SONG_SECONDS)
    assert abs(audio_seconds - SONG_SECONDS) < 1 / FPS  # the sound lasts as long as the picture
    change = np.concatenate([[0.0], np.abs(np.diff(np.stack(frames), axis=0)).mean(axis=(1, 2, 3))])
    on_beat = sorted({math.ceil(c * FPS) for c in clicks})  # the first frame showing each beat
    far = [n for n in range(1, len(frames)) if min(abs(n - b) for b in on_beat) > 3]
    assert change[on_beat[1:]].mean() > 3 * change[far].mean(), (change[on_beat], change[far])


def test_the_same_song_and_show_give_the_same_bytes(song) -> None:
    folder, show, path, _ = song
    if not (folder / "clip.mp4").exists():  # run on its own: the first render is ours
        assert render(show, path, folder / "clip.mp4") == 0
    assert render(show, path, folder / "again.mp4") == 0
    assert (folder / "clip.mp4").read_bytes() == (folder / "again.mp4").read_bytes()


@pytest.mark.parametrize(
    "name, content", [("missing.wav", None), ("noise.mp3", b"not a sound at all"), ("song.ogg", b"")]
)
def test_a_bad_or_missing_song_is_a_one_line_error(song, capsys, name, content) -> None:
    folder, show, *_ = song
    if content is not None:
        (folder / name).write_bytes(content)
    assert render(show, folder / name, folder / "bad.mp4") == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --audio") and name in lines[0]
    assert not (folder / "bad.mp4").exists()
