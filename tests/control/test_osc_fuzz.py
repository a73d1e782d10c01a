"""Garbage over UDP: 100,000 random and malformed OSC packets while the show runs.

The live loop renders a tiny model headless (SDL's dummy video driver) and a consumer thread
reads parameter snapshots the whole time. Afterwards the process is up, nothing on the bus is
out of range, frames kept coming, and valid messages still work.
"""

from __future__ import annotations

import math
import random
import socket
import struct
import threading
import time

import pytest
from pythonosc.osc_message_builder import OscMessageBuilder

from tests.control.helpers import eventually, settled
from tests.engine.live_helpers import one_torch_thread  # noqa: F401  (autouse: one torch thread)

PACKETS = 100_000
ADDRESSES = [
    "/installation/param/psi",
    "/installation/param/psi/raw",
    "/installation/param/cutoff",
    "/installation/scene",
    "/installation/keyframe",
    "/installation/seed",
    "/installation/latent",
    "/installation/learn",
    "/installation/status",
    "/installation/autopilot",
    "/installation/param/speed",
]
ODD_VALUES = [
    float("nan"),
    float("inf"),
    -float("inf"),
    1e300,
    -1e300,
    2**31 - 1,
    -(2**31),
    0,
    1,
    -1,
    0.5,
    "",
    "x" * 300,
    "calm",
    b"\x00\xff" * 10,
    True,
    False,
    None,
]


def _message(rng: random.Random) -> bytes:
    builder = OscMessageBuilder(rng.choice(ADDRESSES) if rng.random() < 0.8 else "/" + rng.randbytes(8).hex())
    for _ in range(600 if rng.random() < 0.02 else rng.choice([0, 1, 1, 1, 2, 3])):  # 600: a latent's size
        value = rng.choice(ODD_VALUES) if rng.random() < 0.6 else rng.uniform(-5, 5)
        huge = isinstance(value, float) and math.isfinite(value) and abs(value) > 3e38
        builder.add_arg(value, "d" if huge else None)  # a double: too large for OSC's float32
    return builder.build().dgram


def _bundle(rng: random.Random, depth: int = 0) -> bytes:
    when = rng.choice([1, 0, time.time() + rng.uniform(0, 0.5), time.time() + 1e6, rng.getrandbits(64)])
    seconds, fraction = divmod(int(when * 2**32) if isinstance(when, float) else when, 2**32)
    body = b"#bundle\x00" + struct.pack(
        ">II", (seconds + 2208988800 * (when > 2**32 // 2)) % 2**32, fraction % 2**32
    )
    for _ in range(rng.randint(0, 4)):
        element = _bundle(rng, depth + 1) if depth < 3 and rng.random() < 0.3 else _message(rng)
        size = len(element) if rng.random() < 0.8 else rng.randint(0, 2**31)  # sometimes a lying size
        body += struct.pack(">i", size % 2**31) + element
    return body


def garbage(rng: random.Random) -> bytes:
    kind = rng.random()
    if kind < 0.2:
        return rng.randbytes(rng.randint(0, 200))
    valid = _message(rng)
    if kind < 0.35:
        return valid[: rng.randint(0, len(valid))]  # truncated
    if kind < 0.5:
        flipped = bytearray(valid)
        for _ in range(rng.randint(1, 8)):
            flipped[rng.randrange(len(flipped))] ^= 1 << rng.randrange(8)
        return bytes(flipped)
    if kind < 0.7:
        return _bundle(rng)
    if kind < 0.72:
        return b"/" + rng.randbytes(20000)  # oversized
    if kind < 0.74:
        return b"/installation/param/\xff\xfe\x00\x00,f\x00\x00" + struct.pack(">f", 1.0)  # not UTF-8
    return valid  # well-formed but mostly wrong types, counts and values


def test_garbage_never_stops_anything(live_show) -> None:
    live, presenter, surfaces = live_show
    address = surfaces.osc.address
    specs = live.bus.specs
    done = threading.Event()
    problems: list[str] = []
    snapshots = 0

    def consume() -> None:  # a reader of the bus, like motion, the whole time
        nonlocal snapshots
        while not done.is_set():
            for name, value in live.bus.snapshot().values.items():
                spec = specs[name]
                if spec.type != "trigger" and not (math.isfinite(value) and spec.min <= value <= spec.max):
                    problems.append(f"{name} = {value}")
            snapshots += 1
            time.sleep(0.001)

    rng = random.Random(1234)
    pool = [garbage(rng) for _ in range(5000)]

    def fuzz() -> None:
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                for i in range(PACKETS):
                    sock.sendto(rng.choice(pool), address)
                    # Let the receiver keep up (its 4 MB buffer is large, not endless): the point
                    # is that it parses the garbage, not that the kernel drops it.
                    while i - surfaces.osc.packets > 1000:
                        time.sleep(0.001)
        finally:
            done.set()

    threads = [threading.Thread(target=consume), threading.Thread(target=fuzz)]
    frames_before = presenter.presented.count if presenter.presented else 0
    started = time.monotonic()
    for thread in threads:
        thread.start()
    while not done.is_set() and time.monotonic() - started < 60:
        presenter.run(seconds=0.25)  # the display loop keeps presenting frames meanwhile
    for thread in threads:
        thread.join()
    assert eventually(lambda: surfaces.osc.packets >= PACKETS * 0.99, timeout=5), surfaces.osc.packets
    assert not problems, problems[:5]
    assert snapshots > 100 and live.error is None
    assert presenter.presented.count - frames_before > 10  # frames went on being shown
    counts = surfaces.drops.counts()
    assert counts["malformed packet"] > 1000 and counts["oversized packet"] > 100
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:  # valid messages still work
        message = OscMessageBuilder("/installation/param/psi")
        message.add_arg(0.05)
        sock.sendto(message.build().dgram, address)
        scene = OscMessageBuilder("/installation/scene")
        scene.add_arg("calm")
        scene.add_arg(0.0)
        sock.sendto(scene.build().dgram, address)
    assert eventually(lambda: settled(live.bus)["psi"] == pytest.approx(0.3))
    assert surfaces.osc._thread.is_alive() and surfaces.ticker._thread.is_alive()
