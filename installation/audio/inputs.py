"""Where sound comes in: a JACK input port, a PortAudio device, or a sound file played in time.

Each input hands mono float32 blocks to `deliver` from its own thread (JACK's process thread,
PortAudio's callback, a file player) and does nothing else there: the analysis runs on the
stream's thread. `open` raises AudioUnavailable (one line: no server, no such device, a
library missing) and `problem` says why an open input stopped working, so the stream can log
it once and try again until the input is back.
"""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from installation.show.control_sections import AudioSettings

Deliver = Callable[[np.ndarray], None]
CLIENT_NAME = "installation"


class AudioUnavailable(Exception):
    """This input cannot be opened now; the message says why in one line."""


class AudioMissing(AudioUnavailable):
    """A library this input needs is not installed: trying again will not help."""


class AudioInput(Protocol):
    label: str
    sample_rate: float

    def open(self, deliver: Deliver) -> None: ...

    def problem(self) -> str | None: ...

    def close(self) -> None: ...


PIP_NAMES = {"jack": "JACK-Client", "sounddevice": "sounddevice", "soundfile": "soundfile"}


def load_module(module: str, system_library: str) -> Any:
    """Import an audio library, or say in one line what to install."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise AudioMissing(f"the {module} package is missing: pip install {PIP_NAMES[module]}") from None
    except OSError:  # the Python package is there, the C library it wraps is not
        raise AudioMissing(f"{module} needs the system library {system_library}") from None


def mono(samples: np.ndarray) -> np.ndarray:
    return samples.mean(axis=1, dtype=np.float32) if samples.ndim == 2 else samples.astype(np.float32)


class JackInput:
    """A JACK client with one input port; connects it to the output ports matching `connect`
    (regular expressions), also to those that appear later. JACK sums several connections."""

    def __init__(self, connect: tuple[str, ...], client_name: str = CLIENT_NAME) -> None:
        self.connect = connect
        self.client_name = client_name
        self.label = "JACK"
        self.sample_rate = 48000.0
        self.port_name = ""
        self._client = None
        self._port = None
        self._lost: str | None = None

    def open(self, deliver: Deliver) -> None:
        from installation.control.midi_api import jack_server_running

        jack = load_module("jack", "libjack (apt-get install libjack-jackd2-0)")
        if not jack_server_running():  # asked first: libjack would complain on stderr
            raise AudioUnavailable("no JACK server is running")
        jack.set_error_function(lambda _message: None)  # libjack's own lines; our log says it once
        jack.set_info_function(lambda _message: None)
        try:
            client = jack.Client(self.client_name, no_start_server=True)
        except jack.JackError:
            raise AudioUnavailable("no JACK server is running") from None
        port = client.inports.register("in")
        self._lost = None

        def process(_frames: int) -> None:
            deliver(port.get_array().copy())

        client.set_process_callback(process)
        client.set_shutdown_callback(
            lambda _status, reason: setattr(self, "_lost", reason or "server stopped")
        )
        client.activate()
        self._client, self._port = client, port
        self.sample_rate, self.port_name = float(client.samplerate), port.name
        self.label = f"JACK {port.name}"
        self._connect_new()

    def problem(self) -> str | None:
        if self._lost is not None:
            return f"JACK: {self._lost}"
        self._connect_new()
        return None

    def _connect_new(self) -> None:
        import jack

        client, port = self._client, self._port
        try:
            connected = {p.name for p in client.get_all_connections(port)}
            for pattern in self.connect:
                for source in client.get_ports(pattern, is_audio=True, is_output=True):
                    if source.name not in connected and not source.name.startswith(client.name + ":"):
                        client.connect(source, port)
        except jack.JackError:
            pass  # a port that went away while we looked: the next check tries again

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                client.deactivate(ignore_errors=True)
                client.close(ignore_errors=True)
            except Exception:  # noqa: BLE001 - a dead server can fail any call; we are leaving anyway
                pass


def portaudio_inputs(sd: Any) -> list[tuple[int, str, str, int]]:
    """(index, name, host API, input channels) of every device that records."""
    apis = sd.query_hostapis()
    return [
        (i, d["name"], apis[d["hostapi"]]["name"], int(d["max_input_channels"]))
        for i, d in enumerate(sd.query_devices())
        if d["max_input_channels"] > 0
    ]


def list_portaudio() -> list[str]:
    sd = load_module("sounddevice", "libportaudio2 (apt-get install libportaudio2)")
    default = sd.default.device[0]
    return [
        f"{index}: {name} ({api}, {channels} in){'  [default]' if index == default else ''}"
        for index, name, api, channels in portaudio_inputs(sd)
    ]


def list_jack_sources() -> list[str]:
    """Output ports a JACK input could connect to (capture ports, other programs' outputs)."""
    from installation.control.midi_api import jack_server_running

    jack = load_module("jack", "libjack (apt-get install libjack-jackd2-0)")
    if not jack_server_running():
        raise AudioUnavailable("no JACK server is running")
    jack.set_error_function(lambda _message: None)
    client = jack.Client(f"{CLIENT_NAME}-list", no_start_server=True)
    try:
        return [p.name for p in client.get_ports(is_audio=True, is_output=True)]
    finally:
        client.close()


def find_device(sd: Any, wanted: int | str) -> int:
    """A device index by index, or by (part of) its name, case-insensitive; "" is the default."""
    devices = portaudio_inputs(sd)
    if wanted == "":
        default = sd.default.device[0]
        if default is None or default < 0:
            raise AudioUnavailable("no default audio input device")
        return int(default)
    for index, name, api, _ in devices:
        if wanted == index or (isinstance(wanted, str) and wanted.lower() in f"{name} ({api})".lower()):
            return index
    names = ", ".join(f"{i}: {n}" for i, n, _, _ in devices) or "none"
    raise AudioUnavailable(f"no audio input device {wanted!r} (inputs: {names})")


class PortAudioInput:
    """A sound card through PortAudio (ALSA, PulseAudio, PipeWire, JACK, ...), by index or name."""

    def __init__(self, device: int | str, sample_rate: int, block: int) -> None:
        self.device, self.block = device, block
        self.sample_rate = float(sample_rate)
        self.label = "PortAudio"
        self._stream = None
        self._stopped: str | None = None

    def open(self, deliver: Deliver) -> None:
        sd = load_module("sounddevice", "libportaudio2 (apt-get install libportaudio2)")
        if self._stream is None and self._stopped is not None:
            sd._terminate()  # PortAudio lists devices once per initialisation: look again
            sd._initialize()
        index = find_device(sd, self.device)
        info = sd.query_devices(index)
        self._stopped = None

        def callback(data: np.ndarray, _frames: int, _time: Any, _status: Any) -> None:
            deliver(mono(data))

        def finished() -> None:
            self._stopped = self._stopped or "the stream stopped"

        try:
            stream = sd.InputStream(
                device=index,
                channels=min(2, int(info["max_input_channels"])),
                samplerate=self.sample_rate,
                blocksize=self.block,
                dtype="float32",
                callback=callback,
                finished_callback=finished,
            )
            stream.start()
        except sd.PortAudioError as error:
            self._stopped = str(error)
            raise AudioUnavailable(f"cannot open {info['name']}: {error}") from None
        self._stream = stream
        self.label = f"PortAudio {info['name']}"

    def problem(self) -> str | None:
        if self._stopped is None and self._stream is not None and not self._stream.active:
            self._stopped = "the device stopped"
        return None if self._stopped is None else f"{self.label}: {self._stopped}"

    def close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.close(ignore_errors=True)
            except Exception:  # noqa: BLE001 - a device that vanished can fail any call
                pass


def read_sound(path: Path) -> tuple[np.ndarray, float]:
    """A whole sound file as mono float32 samples, and its sample rate (AudioUnavailable if it is
    missing or not a sound file)."""
    sf = load_module("soundfile", "libsndfile1")
    try:
        samples, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, OSError) as error:
        reason = "no such file" if not path.exists() else str(error).split(":")[-1].strip() or "unreadable"
        raise AudioUnavailable(f"cannot read sound file {path}: {reason}") from None
    if len(samples) == 0:
        raise AudioUnavailable(f"sound file {path} holds no samples")
    return mono(samples), float(rate)


class FileInput:
    """A sound file played as if it came in live, block by block in real time, looped."""

    def __init__(self, path: Path, block: int, loop: bool = True) -> None:
        self.path, self.block, self.loop = path, block, loop
        self.label = f"file {path.name}"
        self.sample_rate = 48000.0
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.finished = threading.Event()

    def open(self, deliver: Deliver) -> None:
        samples, self.sample_rate = read_sound(self.path)
        self._stop.clear()
        self.finished.clear()
        self._thread = threading.Thread(
            target=self._play, args=(samples, deliver), name="audio-file", daemon=True
        )
        self._thread.start()

    def _play(self, samples: np.ndarray, deliver: Deliver) -> None:
        start, sent = time.monotonic(), 0
        while not self._stop.is_set():
            position = sent % len(samples) if self.loop else sent
            if position >= len(samples):
                break
            block = samples[position : position + self.block]
            sent += len(block)
            due = start + sent / self.sample_rate  # the block is all there only once it has played
            self._stop.wait(max(due - time.monotonic(), 0.0))
            deliver(block)
        self.finished.set()

    def problem(self) -> str | None:
        return None

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)


def make_input(settings: AudioSettings, show_dir: Path) -> AudioInput:
    if settings.input == "jack":
        return JackInput(settings.connect)
    if settings.input == "portaudio":
        return PortAudioInput(settings.device, settings.sample_rate, settings.block)
    return FileInput((show_dir / Path(settings.file).expanduser()).resolve(), settings.block)
