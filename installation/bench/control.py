"""`run.py bench --control`: how fast input reaches the parameters and the screen, and what a
busy OSC sender costs the live loop.

1. OSC -> snapshot: a python-osc client sends a value; a reader polls parameter snapshots (as
   the engine does per frame, but continuously) until the write shows; repeated many times.
2. MIDI CC -> snapshot: the same through a virtual MIDI port (JACK's dummy driver started here
   with a 128-frame period when no MIDI system runs; the period bounds this latency).
3. The live loop (headless on SDL's dummy driver without a display): OSC -> first frame on
   screen rendered after the write, and the displayed frame rate without OSC and with 1,000 OSC
   messages a second arriving.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from installation.bench.timing import bench_show, write_json

PROBE = "probe"  # an unsmoothed parameter of the bench show: its write count moves at once
SHOW = bench_show(
    "control bench",
    'inputs = ["{box}"]\ntakeover = "none"',
    """
[parameters.probe]
min = 0
max = 127
[[mappings]]
midi = "cc 1"
to = "probe"
in_min = 0
in_max = 127
""",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--control",
        action="store_true",
        help="measure the control surfaces: OSC and MIDI latency, the loop's fps under OSC load",
    )
    parser.add_argument(
        "--control-samples", type=int, default=300, help="latency samples per path (default 300)"
    )
    parser.add_argument(
        "--control-seconds",
        type=float,
        default=10.0,
        help="seconds per live-loop phase of --control (default 10)",
    )
    parser.add_argument(
        "--control-settle",
        type=float,
        default=30.0,
        help="seconds the loop plays before --control measures it (graphs compile; default 30)",
    )


@contextlib.contextmanager
def private_jack(period: int = 128, *, audio: bool = False) -> Iterator[str | None]:
    """A JACK server on the dummy driver for this process, unless a MIDI system (with `audio`:
    a JACK server) is usable already; yields why it is (or is not) there. The server stops on exit."""
    from installation.control.midi_api import choose_api, jack_server_running

    if audio and jack_server_running():
        yield "the running JACK server"
        return
    if not audio and choose_api().api is not None:
        yield "the running MIDI system"
        return
    if shutil.which("jackd") is None:
        yield None
        return
    name = f"installation-{os.getpid()}"
    before = os.environ.get("JACK_DEFAULT_SERVER")
    os.environ["JACK_DEFAULT_SERVER"] = name
    process = subprocess.Popen(
        ["jackd", "--no-realtime", "-n", name, "-d", "dummy", "-r", "48000", "-p", str(period)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=_die_with_parent,
    )
    try:
        deadline = time.monotonic() + 10
        while not jack_server_running() and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
        yield f"jackd -d dummy -r 48000 -p {period} started here" if jack_server_running() else None
    finally:
        process.terminate()
        process.wait(timeout=10)
        if before is None:
            os.environ.pop("JACK_DEFAULT_SERVER", None)
        else:
            os.environ["JACK_DEFAULT_SERVER"] = before


def _die_with_parent() -> None:
    """In the child: ask Linux to stop it when we die, even by a crash or SIGKILL."""
    import ctypes
    import signal

    try:
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: the server is stopped on a normal exit only


def latencies(bus, send: Callable[[int], None], samples: int) -> list[float]:
    """ms from `send(value)` until a snapshot of `bus` shows a new write to the probe."""
    found = []
    for i in range(samples):
        before = bus.snapshot().count(PROBE)
        sent = time.perf_counter()
        send(i % 2 * 100 + 10)
        deadline = sent + 1.0
        while bus.snapshot().count(PROBE) == before and time.perf_counter() < deadline:
            time.sleep(0.0001)
        if time.perf_counter() < deadline:
            found.append((time.perf_counter() - sent) * 1000)
        time.sleep(0.005)
    return found


def summary(ms: list[float]) -> dict[str, float]:
    if not ms:
        return {}
    ordered = sorted(ms)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {
        "n": len(ms),
        "median": statistics.median(ms),
        "p95": pick(0.95),
        "p99": pick(0.99),
        "max": ordered[-1],
    }


def _osc_sender(address: tuple[str, int]) -> Callable[[str, float], None]:
    from pythonosc.udp_client import SimpleUDPClient

    client = SimpleUDPClient(*address)
    return lambda path, value: client.send_message(path, value)


def _midi_latency(surfaces, bus, jack_reason: str | None, samples: int) -> dict[str, Any]:
    import rtmidi

    from installation.control.midi_api import choose_api

    api = choose_api()
    if api.api is None:
        return {"skipped": jack_reason or "no MIDI system and no jackd to start one"}
    box = rtmidi.MidiOut(rtapi=api.api, name=f"benchbox{os.getpid()}")
    box.open_virtual_port("knobs")
    try:
        surfaces.midi.refresh()
        deadline = time.monotonic() + 3
        while not surfaces.midi.open_inputs and time.monotonic() < deadline:
            time.sleep(0.01)
        ms = latencies(bus, lambda v: box.send_message([0xB0, 1, v]), samples)
    finally:
        box.close_port()
        box.delete()
    return {"system": api.label, "server": jack_reason, **summary(ms)}


class _Flood:
    """Sends `rate` OSC messages a second to `address` until stopped."""

    def __init__(self, address: tuple[str, int], rate: int) -> None:
        self._send, self._rate = _osc_sender(address), rate
        self._stop = threading.Event()
        self.sent = 0
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "_Flood":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        start = time.monotonic()
        while not self._stop.is_set():
            due = int((time.monotonic() - start) * self._rate)
            while self.sent < due:
                self._send("/installation/param/psi", 0.2 + 0.6 * (self.sent % 100) / 100)
                self.sent += 1
            time.sleep(0.002)


def _live(args: argparse.Namespace, show_path: Path) -> dict[str, Any]:
    """The loop's displayed fps without and with 1,000 OSC messages a second; OSC -> screen."""
    from installation.control.surfaces import ControlSurfaces
    from installation.display import Presenter, Screen, init_video
    from installation.live import LiveShow
    from installation.show.loader import load_show

    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    show = load_show(show_path)
    init_video()
    screen = Screen(fullscreen=False, size=(640, 360), mode="fit", vsync=False)
    live = LiveShow(show, device=None if args.device == "auto" else args.device).start()
    presenter = Presenter(screen, live, allow_quit=False)
    surfaces = ControlSurfaces(show, live.bus, midi_api=None)
    surfaces.start()
    try:
        live.wait_until_loaded()
        while live.error is None and (live.engine is None or not live.engine.ready.is_set()):
            presenter.run(seconds=0.1)
        presenter.run(seconds=args.control_settle)  # the engine's level choice and compiled graphs

        def phase() -> dict[str, Any]:
            """Frame rates and the engine's choices over one phase of the loop."""
            stats, shown, start = live.engine.stats, presenter.presented.count, time.monotonic()
            levels: Counter[str] = Counter()
            while time.monotonic() - start < args.control_seconds:
                presenter.run(seconds=0.1)
                levels[f"{live.engine.stats.level} px x {live.engine.stats.batch}"] += 1
            elapsed, end = time.monotonic() - start, live.engine.stats
            return {
                "displayed_fps": (presenter.presented.count - shown) / elapsed,
                "rendered_fps": (end.frames - stats.frames) / elapsed,
                "discarded_per_s": (end.discarded - stats.discarded) / elapsed,
                "level_x_batch": levels.most_common(1)[0][0],
            }

        # Quiet and loaded phases alternate, so a trend (a graph compiling, another process)
        # weighs on both alike.
        quiet, loaded, sent, received, cpu = [], [], 0, 0, 0.0
        for _ in range(2):
            quiet.append(phase())
            packets, before = surfaces.osc.packets, thread_cpu_seconds(surfaces.osc.thread_id)
            with _Flood(surfaces.osc.address, 1000) as flood:
                loaded.append(phase())
            sent, received = sent + flood.sent, received + surfaces.osc.packets - packets
            cpu += thread_cpu_seconds(surfaces.osc.thread_id) - before
        to_screen = _to_screen(presenter, surfaces.osc.address, min(20, args.control_samples))
    finally:
        surfaces.stop()
        live.stop()
        screen.close()
    if live.error is not None:
        raise live.error
    return {
        "quiet": quiet,
        "osc_1000_per_s": loaded,
        "osc_sent": sent,
        "osc_received": received,
        "osc_thread_cpu_share": cpu / (2 * args.control_seconds),
        "osc_to_screen_ms": {**summary(to_screen), "samples": to_screen},
    }


def thread_cpu_seconds(native_id: int | None) -> float:
    """CPU time a thread of this process used so far (Linux; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/self/task/{native_id}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _to_screen(presenter, address: tuple[str, int], samples: int) -> list[float]:
    """ms from an OSC write until the screen shows a frame rendered after it (runs the loop)."""
    send, found = _osc_sender(address), []
    for i in range(samples):
        before = presenter.presented
        sent = time.monotonic()
        send(f"/installation/param/{PROBE}/raw", float(i % 2 * 100 + 10))
        while time.monotonic() - sent < 5:
            presenter.run(seconds=0.005)
            shown = presenter.presented
            if shown.version > before.version and shown.wall >= sent:
                found.append((shown.wall - sent) * 1000)
                break
        presenter.run(seconds=0.3)  # let the look-ahead refill
    return found


def run(args: argparse.Namespace) -> int:
    import tempfile

    import torch

    from installation.bench.timing import print_table
    from installation.control.surfaces import ControlSurfaces
    from installation.params.bus import ParameterBus
    from installation.show.loader import load_show
    from installation.timing import machine_description

    box = f"benchbox{os.getpid()}"
    with tempfile.TemporaryDirectory() as folder, private_jack() as jack_reason:
        model = args.model if args.model == "default" else str(Path(args.model).resolve())
        show_path = Path(folder) / "bench.toml"
        show_path.write_text(SHOW.format(model=model, box=box), encoding="utf-8")
        show = load_show(show_path)
        bus = ParameterBus(show.parameters)
        surfaces = ControlSurfaces(show, bus)
        surfaces.start()
        try:
            send = _osc_sender(surfaces.osc.address)
            osc = summary(
                latencies(
                    bus, lambda v: send(f"/installation/param/{PROBE}/raw", float(v)), args.control_samples
                )
            )
            midi = _midi_latency(surfaces, bus, jack_reason, args.control_samples)
        finally:
            surfaces.stop()
        live = _live(args, show_path)
    result = {
        "osc_to_snapshot_ms": osc,
        "midi_to_snapshot_ms": midi,
        "live": live,
        "machine": machine_description(
            torch.device("cpu") if args.device == "auto" else torch.device(args.device)
        ),
        "cpus": os.cpu_count(),
    }
    _print(result, print_table)
    write_json(result, args.json)
    return 0


def _print(r: dict[str, Any], print_table: Callable) -> None:
    def row(name: str, s: dict[str, float]) -> list[str]:
        if not s.get("n"):
            return [name, s.get("skipped", "not measured"), "", "", ""]
        return [name, f"{s['median']:.2f}", f"{s['p95']:.2f}", f"{s['p99']:.2f}", f"{s['max']:.2f}"]

    live = r["live"]
    print_table(
        ["latency (ms)", "median", "p95", "p99", "max"],
        [
            row("OSC -> parameter snapshot", r["osc_to_snapshot_ms"]),
            row(
                f"MIDI CC -> parameter snapshot ({r['midi_to_snapshot_ms'].get('server') or '-'})",
                r["midi_to_snapshot_ms"],
            ),
            row("OSC -> first frame on screen", live["osc_to_screen_ms"]),
        ],
    )
    print()
    rows = []
    for i, (quiet, loaded) in enumerate(zip(live["quiet"], live["osc_1000_per_s"], strict=True), start=1):
        for key, name in (
            ("displayed_fps", "displayed fps"),
            ("rendered_fps", "rendered fps"),
            ("discarded_per_s", "look-ahead frames retired /s"),
        ):
            rows.append([f"{name} (round {i})", f"{quiet[key]:.1f}", f"{loaded[key]:.1f}"])
        rows.append(
            [f"level x batch, most of the time (round {i})", quiet["level_x_batch"], loaded["level_x_batch"]]
        )
    rows.append(["OSC messages sent / received", "", f"{live['osc_sent']} / {live['osc_received']}"])
    rows.append(["OSC receive thread, share of one core", "", f"{100 * live['osc_thread_cpu_share']:.1f} %"])
    print_table(["live loop", "no OSC", "1,000 OSC messages/s"], rows)
