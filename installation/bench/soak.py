"""`run.py bench --soak SECONDS`: the gallery renderer for a long time, inputs firing, memory watched.

In this one process: the live loop as `run.py gallery` runs it (heartbeat, schedule follower,
fading feed, control surfaces) with no window to see (SDL's dummy driver unless SDL_VIDEODRIVER
says otherwise), while a thread fires OSC at it over loopback (parameter writes, keyframe jumps
and garbage packets) and another samples resident memory (VmRSS in /proc/self/status), threads
and open files. SECONDS counts from the first frame; the first third (at least WARMUP_MIN_S) is
warm-up: caches fill, allocators settle. After that, memory should stay flat.
"""

from __future__ import annotations

import json
import logging
import os
import random
import socket
import statistics
import threading
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

WARMUP_MIN_S = 3.0
OSC_RATE = 200.0  # messages per second
GARBAGE_SHARE = 0.1  # of them, random bytes
SOAK_SHOW = """
[show]
name = "soak"
[display]
fullscreen = false
[render]
max_resolution = 64
batch = 1               # one configuration throughout: a new level or batch allocates once,
frame_budget_ms = 1000  # which would read as growth in a short run
[motion]
path = "walk"
noise = "random"
[osc]
port = 0
query_port = -1
[midi]
enabled = false
"""


def rss_mb() -> float:
    """Resident memory of this process, from /proc/self/status (Linux)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def _messages() -> list[bytes]:
    """The packets the firing thread cycles through (built once: the sender allocates nothing)."""
    from pythonosc.osc_message_builder import OscMessageBuilder

    def message(address: str, *args: Any) -> bytes:
        builder = OscMessageBuilder(address)
        for arg in args:
            builder.add_arg(arg)
        return builder.build().dgram

    rng = random.Random(0)
    packets = [message("/installation/param/psi", rng.random()) for _ in range(50)]
    packets += [message("/installation/param/speed", rng.random()) for _ in range(50)]
    packets += [message("/installation/keyframe", rng.randrange(8)) for _ in range(10)]
    garbage = int(len(packets) * GARBAGE_SHARE / (1 - GARBAGE_SHARE))
    packets += [rng.randbytes(rng.randrange(1, 200)) for _ in range(garbage)]
    rng.shuffle(packets)
    return packets


class _Soak:
    def __init__(self, seconds: float, interval: float) -> None:
        self.seconds, self.interval = seconds, interval
        self.samples: list[dict[str, float]] = []
        self.sent = self.refused = 0
        self.first_frame: float | None = None
        self.done = threading.Event()

    def fire(self, live: Any) -> None:
        """OSC at the show's port, once `play` has started the control surfaces."""
        while live.port.inputs() is None and not self.done.wait(0.05):
            pass
        host, port = live.port.inputs()["osc"].rsplit(":", 1)
        packets = _messages()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as out:
            due = time.monotonic()
            while not self.done.is_set():
                out.sendto(packets[self.sent % len(packets)], (host, int(port)))
                self.sent += 1
                due += 1 / OSC_RATE
                time.sleep(max(0.0, due - time.monotonic()))
            self.refused = live.port.inputs()["dropped"]

    def watch(self, renderer: Any, presenter: Any, receiver: Any) -> None:
        """Sample until SECONDS after the first frame, then end the show."""
        while renderer.feed.frames()[0] == 0 and not self.done.wait(0.05):
            receiver.drain()
        self.first_frame = start = time.monotonic()
        while not self.done.is_set():
            receiver.drain()
            now = time.monotonic()
            self.samples.append(
                {
                    "t": round(now - start, 2),
                    "rss_mb": round(rss_mb(), 2),
                    "threads": threading.active_count(),
                    "fds": len(os.listdir("/proc/self/fd")),
                    "frames": renderer.feed.frames()[0],
                }
            )
            if now - start >= self.seconds:
                break
            self.done.wait(min(self.interval, start + self.seconds - now))
        self.done.set()
        presenter.stop()


def summarize(samples: list[dict[str, float]], seconds: float) -> dict[str, Any]:
    """Memory after warm-up: growth between the first and the last few samples, and the slope."""
    warmup = max(WARMUP_MIN_S, seconds / 3)
    after = [s for s in samples if s["t"] >= warmup]
    if len(after) < 4:
        return {"warmup_s": warmup, "growth_mb": None, "slope_mb_per_hour": None}
    edge = max(2, len(after) // 5)
    start, end = (statistics.median(s["rss_mb"] for s in part) for part in (after[:edge], after[-edge:]))
    slope = statistics.linear_regression([s["t"] for s in after], [s["rss_mb"] for s in after]).slope
    return {
        "warmup_s": round(warmup, 1),
        "rss_after_warmup_mb": round(start, 1),
        "rss_at_end_mb": round(end, 1),
        "growth_mb": round(end - start, 2),
        "slope_mb_per_hour": round(slope * 3600, 1),
        "threads": (after[0]["threads"], after[-1]["threads"]),
        "fds": (after[0]["fds"], after[-1]["fds"]),
    }


def run_soak(seconds: float, json_path: str | None = None, interval: float | None = None) -> int:
    """Soak for `seconds` of frames; print the memory table, write JSON; 0 when it ran to the end."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    import torch

    from installation.bench.timing import print_table
    from installation.gallery import heartbeat
    from installation.gallery.renderer import Renderer, unattended
    from installation.live import play
    from installation.show.loader import parse_show

    interval = interval or min(60.0, max(0.5, seconds / 30))
    cuda = torch.cuda.is_available()
    show, _ = unattended(parse_show(SOAK_SHOW, Path("soak.toml").resolve()), 0, cuda)
    ours, theirs = heartbeat.channel()
    os.environ[heartbeat.FD_ENV] = str(theirs.fileno())
    receiver = heartbeat.Receiver(ours)
    renderer = Renderer(0, cuda)
    soak = _Soak(seconds, interval)

    def setup(live: Any, presenter: Any) -> None:
        renderer.attach(live, presenter)
        threading.Thread(target=soak.fire, args=(live,), name="soak-osc", daemon=True).start()
        threading.Thread(
            target=soak.watch, args=(renderer, presenter, receiver), name="soak-watch", daemon=True
        ).start()

    try:
        play(show, windowed=True, size=(320, 240), device=show.render.device, setup=setup, watch=False)
    finally:
        soak.done.set()
    result = {
        "seconds": seconds,
        "interval_s": interval,
        "osc_sent": soak.sent,
        "osc_refused": soak.refused,
        "frames": soak.samples[-1]["frames"] if soak.samples else 0,
        **summarize(soak.samples, seconds),
        "samples": soak.samples,
    }
    step = max(1, len(soak.samples) // 12)
    print_table(
        ["t (s)", "RSS (MB)", "threads", "open files", "frames"],
        [[s["t"], s["rss_mb"], s["threads"], s["fds"], s["frames"]] for s in soak.samples[::step]],
    )
    print(
        f"\nafter {result['warmup_s']} s of warm-up: RSS {result.get('rss_after_warmup_mb')} -> "
        f"{result.get('rss_at_end_mb')} MB (growth {result['growth_mb']} MB, "
        f"{result['slope_mb_per_hour']} MB/h); "
        f"OSC sent {soak.sent}, refused {soak.refused}"
    )
    if json_path:
        Path(json_path).write_text(json.dumps(result, indent=2))
        print(f"wrote {json_path}")
    return 0 if soak.samples and soak.samples[-1]["t"] >= seconds else 1
