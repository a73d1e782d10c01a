"""Inputs other than our own JACK port, and inputs that come and go: a PortAudio device (PortAudio's
JACK host API, the one sound card this machine has), `run.py audio list`, and a JACK server that
stops and starts again while the show runs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from installation.audio.inputs import AudioUnavailable, PortAudioInput
from installation.control.surfaces import ControlSurfaces
from installation.params.bus import ParameterBus
from installation.show.loader import parse_show
from tests.audio.signals import JackPlayer, click_track
from tests.control.helpers import QUIET
from tests.parts import require_part
from tests.polling import wait_for

ROOT = Path(__file__).resolve().parents[2]


def start(tmp_path, audio: str):
    text = QUIET + "[audio]\nenabled = true\n" + audio + '\n[[mappings]]\naudio = "loudness"\nto = "radius"\n'
    path = tmp_path / "show.toml"
    path.write_text(text, encoding="utf-8")
    show = parse_show(text, path)
    surfaces = ControlSurfaces(show, ParameterBus(show.parameters))
    surfaces.start()
    return surfaces


def test_a_portaudio_device_chosen_by_name_hears_a_jack_client(jack_server, tmp_path) -> None:
    try:
        import sounddevice as sd
    except OSError:
        require_part("PortAudio", "sounddevice needs libportaudio2 (apt-get install libportaudio2)")
    if not any("JACK" in api["name"] for api in sd.query_hostapis()):
        require_part("PortAudio's JACK host API", "Debian's libportaudio2 has it; this PortAudio does not")
    samples, _ = click_track(120, 2.0)
    player = JackPlayer(samples)
    surfaces = start(tmp_path, 'input = "portaudio"\ndevice = "JACK Audio"\ntempo = false\n')
    try:
        audio = surfaces.audio
        wait_for(lambda: audio.stream.state == "running", 10, "the PortAudio device to open")
        assert audio.stream.input.label == "PortAudio system"
        for port in player.client.get_ports("PortAudio.*:in_", is_audio=True, is_input=True):
            player.client.connect(player.port, port)
        onsets = []
        audio.taps.append(lambda f, _a: onsets.append(f.t) if f.sound.onset_event else None)
        player.play()
        wait_for(lambda: len(onsets) >= 3, 10, "clicks through PortAudio")
        assert surfaces.controls.last_writer("radius") == "audio:loudness->radius"
    finally:
        surfaces.stop()
        player.close()
    with pytest.raises(AudioUnavailable, match="no audio input device 'no such card'"):
        PortAudioInput("no such card", 48000, 512).open(lambda _b: None)


def test_run_py_audio_list_names_jack_ports_and_portaudio_devices(jack_server) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), "audio", "list"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "JACK output ports" in done.stdout and "system:capture_1" in done.stdout
    assert "PortAudio input devices" in done.stdout


def test_a_jack_server_that_stops_and_returns_is_one_line_each_way(jack_server, tmp_path) -> None:
    if shutil.which("jackd") is None:
        require_part("jackd", "no jackd to start and stop (apt-get install jackd2)")
    # A process of its own, as a show is: libjack keeps per-process state that other tests'
    # clients (PortAudio's among them) share, and this test kills a server under it.
    env = dict(os.environ, JACK_DEFAULT_SERVER=f"audio-vanish-{os.getpid()}", PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("vanishing_server.py")), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = [
        line.split(": ", 1)[1] for line in done.stderr.splitlines() if "installation.audio.stream" in line
    ]
    lost = [line for line in lines if "lost" in line or "audio off" in line]
    assert len(lost) == 1 and lost[0].startswith("audio input lost: JACK"), lines
    assert sum(line.startswith("audio input: JACK") for line in lines) == 2, lines  # opened, and back
    assert "radius back at rest" in done.stdout and "running again" in done.stdout
