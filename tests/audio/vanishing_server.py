"""Run by test_audio_devices.py in a process of its own: a show's audio input on a private JACK
server that is stopped and started again. Prints what it saw; the log goes to stderr."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from pathlib import Path

from installation.control.midi_api import jack_server_running
from installation.control.surfaces import ControlSurfaces
from installation.params.bus import ParameterBus
from installation.show.loader import parse_show
from tests.control.helpers import QUIET
from tests.polling import wait_for

SHOW = (
    QUIET
    + """[audio]
enabled = true
connect = []
release_seconds = 0.1

[[mappings]]
audio = "loudness"
to = "radius"
"""
)


def server() -> subprocess.Popen:
    name = os.environ["JACK_DEFAULT_SERVER"]
    command = ["jackd", "--no-realtime", "-n", name, "-d", "dummy", "-r", "48000", "-p", "256"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(jack_server_running, 10, "jackd to start")
    return process


def main(folder: Path) -> None:
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    jackd = server()
    path = folder / "show.toml"
    path.write_text(SHOW, encoding="utf-8")
    show = parse_show(SHOW, path)
    surfaces = ControlSurfaces(show, ParameterBus(show.parameters))
    surfaces.start()
    try:
        audio, c = surfaces.audio, surfaces.controls
        wait_for(lambda: audio.stream.state == "running", 10, "the input to open")
        c.write("radius", 1.7, "audio", "audio:loudness->radius")  # where the sound had put it
        jackd.terminate()
        jackd.wait(timeout=10)
        wait_for(lambda: audio.stream.state.startswith("lost"), 10, "the loss to be noticed")
        wait_for(lambda: abs(c.current("radius") - 0.5) < 1e-6, 5, "radius back at its default")
        print("radius back at rest", flush=True)
        time.sleep(1.5)  # retries meanwhile fail again: no more lines
        jackd = server()
        wait_for(lambda: audio.stream.state == "running", 15, "the input to come back")
        print("running again", flush=True)
    finally:
        surfaces.stop()
        jackd.terminate()
        jackd.wait(timeout=10)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
