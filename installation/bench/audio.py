"""`run.py bench --audio`: how fast a sound reaches the parameters and the screen, through a
real JACK path, and what the analysis costs.

A second JACK client (the "band") plays a click into the show's input port. Times start at the
JACK cycle that carries the click (the band's process callback), so they include JACK's own
hand-over, our queue and the analysis, but not a sound card's capture buffer (add one period
for real hardware; the period is in the table).
1. audio in -> parameter: until the onset mapping has written the probe parameter;
2. audio in -> screen: the live loop (headless without a display), until the first frame
   rendered from a snapshot taken after that write is presented;
3. analysis cost: CPU time of the analysis thread per second of sound while the show plays,
   and of the analysis alone on 30 s of generated music, as a share of one core at 48 kHz.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from installation.bench.control import private_jack, summary, thread_cpu_seconds
from installation.bench.timing import bench_show, write_json

SHOW = bench_show(
    "audio bench",
    "enabled = false",
    """
[audio]
enabled = true
connect = ["{band}"]
tempo = false
[parameters.probe]
min = 0
max = 1
[[mappings]]
audio = "onset_event"
to = "probe"
attack = 0.0
release = 0.05
[[mappings]]
audio = "loudness"
to = "psi"
[[mappings]]
audio = "band:low"
to = "mix_amount"
""",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--audio",
        action="store_true",
        help="measure audio in -> parameter and -> screen through JACK, and the analysis cost",
    )
    parser.add_argument("--audio-samples", type=int, default=30, help="clicks per measurement (default 30)")
    parser.add_argument(
        "--audio-settle", type=float, default=20.0, help="seconds the loop plays before --audio measures it"
    )


class Band:
    """A JACK client that plays a click when asked and notes when its cycle carried it."""

    def __init__(self) -> None:
        import jack

        self.client = jack.Client(f"audio-bench-band-{os.getpid()}", no_start_server=True)
        self.port = self.client.outports.register("out")
        rng = np.random.default_rng(0)
        n = 480
        self._click = (0.5 * rng.standard_normal(n) * np.exp(-np.arange(n) / 100)).astype(np.float32)
        self._hiss = (0.002 * rng.standard_normal(1 << 16)).astype(np.float32)
        self._position = 0
        self._wanted = threading.Event()
        self.played = threading.Event()
        self.played_at = 0.0
        self.client.set_process_callback(self._process)
        self.client.activate()

    def _process(self, frames: int) -> None:
        out = self.port.get_array()
        index = (self._position + np.arange(frames)) % len(self._hiss)
        self._position = (self._position + frames) % len(self._hiss)
        out[:] = self._hiss[index]
        if self._wanted.is_set():
            self._wanted.clear()
            self.played_at = time.monotonic()
            n = min(frames, len(self._click))
            out[:n] += self._click[:n]
            self.played.set()

    def click(self) -> None:
        self.played.clear()
        self._wanted.set()

    def close(self) -> None:
        self.client.deactivate()
        self.client.close()


class Probe:
    """On the analysis thread: when the onset mapping wrote the probe, and the version then."""

    def __init__(self, version) -> None:
        self._version = version
        self.written = threading.Event()
        self.at = 0.0
        self.version = 0

    def __call__(self, features, _arrived) -> None:
        if features.sound.onset_event:
            self.at, self.version = time.monotonic(), self._version()
            self.written.set()


def _to_parameter(band: Band, probe: Probe, samples: int, pump=None) -> list[float]:
    found = []
    for _ in range(samples):
        probe.written.clear()
        band.click()
        deadline = time.monotonic() + 2.0
        while not probe.written.is_set() and time.monotonic() < deadline:
            pump() if pump else probe.written.wait(0.01)
        if probe.written.is_set() and band.played.is_set():
            found.append((probe.at - band.played_at) * 1000)
        _rest(0.3, pump)  # the onset detector's refractory time and threshold settle
    return found


def _rest(seconds: float, pump) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pump() if pump else time.sleep(0.01)


def _to_screen(band: Band, probe: Probe, presenter, samples: int) -> list[float]:
    found = []
    pump = lambda: presenter.run(seconds=0.002)  # noqa: E731
    for _ in range(samples):
        probe.written.clear()
        band.click()
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline:
            pump()
            shown = presenter.presented
            # The engine's version moves on when it sees a write: a newer one was rendered after it.
            if probe.written.is_set() and shown.version > probe.version and shown.wall >= probe.at:
                found.append((shown.wall - band.played_at) * 1000)
                break
        _rest(0.4, pump)
    return found


def analysis_cost(seconds: float = 30.0, rate: int = 48000) -> dict[str, float]:
    """CPU seconds per second of sound of the analysis alone, on generated music."""
    from installation.audio.features import FeatureExtractor
    from installation.show.control_sections import AudioSettings

    rng = np.random.default_rng(1)
    t = np.arange(int(seconds * rate)) / rate
    music = 0.2 * np.sin(2 * np.pi * 110 * t) * (1 + np.sin(2 * np.pi * 2 * t)) + 0.05 * rng.standard_normal(
        len(t)
    )
    extractor = FeatureExtractor(AudioSettings(), rate)
    start = time.process_time()
    for i in range(0, len(music), 1024):  # as JACK hands it over: 1024-frame periods
        extractor.feed(music[i : i + 1024].astype(np.float32))
    return {"cpu_s_per_s": (time.process_time() - start) / seconds, "sample_rate": rate}


def run(args: argparse.Namespace) -> int:
    import tempfile

    import torch

    from installation.bench.timing import print_table
    from installation.control.surfaces import ControlSurfaces
    from installation.display import Presenter, Screen, init_video
    from installation.errors import UserError
    from installation.live import LiveShow
    from installation.show.loader import load_show
    from installation.timing import machine_description

    with tempfile.TemporaryDirectory() as folder, private_jack(period=256, audio=True) as jack_reason:
        if jack_reason is None:
            raise UserError(
                "bench --audio needs a JACK server or jackd to start one (apt-get install jackd2)"
            )
        band = Band()
        period = band.client.blocksize
        model = args.model if args.model == "default" else str(Path(args.model).resolve())
        show_path = Path(folder) / "bench.toml"
        show_path.write_text(SHOW.format(model=model, band=band.port.name), encoding="utf-8")
        show = load_show(show_path)
        if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
        init_video()
        screen = Screen(fullscreen=False, size=(640, 360), mode="fit", vsync=False)
        live = LiveShow(show, device=None if args.device == "auto" else args.device).start()
        presenter = Presenter(screen, live, allow_quit=False)
        surfaces = ControlSurfaces(show, live.bus)
        surfaces.start()
        try:
            live.wait_until_loaded()
            while live.error is None and (live.engine is None or not live.engine.ready.is_set()):
                presenter.run(seconds=0.1)
            audio = surfaces.audio
            probe = Probe(lambda: live.engine.version)
            audio.taps.append(probe)
            thread = audio.stream._thread.native_id
            cpu_before, sound_before = thread_cpu_seconds(thread), time.monotonic()
            presenter.run(seconds=args.audio_settle)
            to_parameter = _to_parameter(
                band, probe, args.audio_samples, lambda: presenter.run(seconds=0.002)
            )
            to_screen = _to_screen(band, probe, presenter, args.audio_samples)
            live_cpu = (thread_cpu_seconds(thread) - cpu_before) / (time.monotonic() - sound_before)
            dropped = audio.stream.dropped
            fps = live.engine.stats
        finally:
            surfaces.stop()
            live.stop()
            screen.close()
            band.close()
    if live.error is not None:
        raise live.error
    result: dict[str, Any] = {
        "jack": {"server": jack_reason, "period_frames": period, "sample_rate": 48000},
        "block_frames": show.audio.block,
        "audio_to_parameter_ms": {**summary(to_parameter), "samples": to_parameter},
        "audio_to_screen_ms": {**summary(to_screen), "samples": to_screen},
        "analysis_thread_core_share_live": live_cpu,
        "analysis_alone": analysis_cost(),
        "blocks_dropped": dropped,
        "engine_level": fps.level,
        "machine": machine_description(
            torch.device("cpu") if args.device == "auto" else torch.device(args.device)
        ),
        "cpus": os.cpu_count(),
    }
    _print(result, print_table)
    write_json(result, args.json)
    return 0


def _print(r: dict[str, Any], print_table) -> None:
    def row(name: str, s: dict[str, float]) -> list[str]:
        if not s.get("n"):
            return [name, "not measured", "", "", "", "0"]
        return [
            name,
            f"{s['median']:.1f}",
            f"{s['p95']:.1f}",
            f"{s['p99']:.1f}",
            f"{s['max']:.1f}",
            str(s["n"]),
        ]

    jack = r["jack"]
    print(
        f"JACK: {jack['server']}, period {jack['period_frames']} frames "
        f"({1000 * jack['period_frames'] / jack['sample_rate']:.1f} ms); "
        f"analysis block {r['block_frames']} frames"
    )
    print_table(
        ["latency (ms)", "median", "p95", "p99", "max", "n"],
        [
            row("audio in -> parameter", r["audio_to_parameter_ms"]),
            row("audio in -> first frame on screen", r["audio_to_screen_ms"]),
        ],
    )
    print()
    print_table(
        ["analysis cost", "share of one core"],
        [
            ["analysis thread, show playing", f"{100 * r['analysis_thread_core_share_live']:.1f}%"],
            ["analysis alone, 48 kHz", f"{100 * r['analysis_alone']['cpu_s_per_s']:.1f}%"],
        ],
    )
