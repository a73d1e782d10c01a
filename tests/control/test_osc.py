"""OSC end to end: a real python-osc client over loopback UDP against running surfaces."""

from __future__ import annotations

import json
import math
import socket
import time
import urllib.error
import urllib.request

import pytest
from pythonosc.osc_bundle_builder import OscBundleBuilder
from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.udp_client import SimpleUDPClient

from installation.params.builtin import LATENT
from tests.control.helpers import QUIET, MotionWatch, eventually, settled

SHOW = (
    QUIET
    + """
[parameters.glow]
type = "bool"
[parameters.flash]
type = "trigger"

[[mappings]]
osc = "/1/fader1"
to = "speed"
curve = "exponential"

[scenes.calm]
values = { psi = 0.4, speed = 0.5, glow = true }
keyframe = 2
crossfade = 0.3

[scenes.wild]
values = { psi = 1.5 }
"""
)


@pytest.fixture
def osc(running):
    surfaces, bus = running(SHOW, z_dim=8)
    client = SimpleUDPClient(*surfaces.osc.address)
    return surfaces, bus, client


def test_parameters_normalised_raw_ints_and_booleans(osc) -> None:
    surfaces, bus, client = osc
    client.send_message("/installation/param/psi", 0.25)  # psi is 0..2
    client.send_message("/installation/param/speed/raw", 3.5)
    client.send_message("/installation/param/cutoff", 6)  # an int takes its own value
    client.send_message("/installation/param/glow", 1)  # TouchDesigner sends ints for booleans
    client.send_message("/installation/param/flash", [])
    client.send_message("/installation/param/flash", 0)  # a button's release: no second firing
    client.send_message("/installation/param/flash", True)
    assert eventually(lambda: bus.snapshot().count("flash") == 2)
    values = settled(bus)
    assert (
        values["psi"] == 0.5 and values["speed"] == 3.5 and values["cutoff"] == 6 and values["glow"] is True
    )
    client.send_message("/1/fader1", 1.0)  # the show's own address, through its mapping
    assert eventually(lambda: settled(bus)["speed"] == 8.0)


def test_garbage_is_counted_and_dropped(osc) -> None:
    surfaces, bus, client = osc
    client.send_message("/installation/param/psi", 7.0)  # clamped to the top, counted
    client.send_message("/installation/param/psi", float("nan"))
    client.send_message("/installation/param/psi", "high")
    client.send_message("/installation/param/psi", [0.1, 0.2])
    client.send_message("/installation/nothing/here", 1)
    client.send_message("/installation/scene", "nope")
    client.send_message("/installation/latent", [0.5] * 7)  # z_dim is 8
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as raw:
        raw.sendto(b"\x00garbage", surfaces.osc.address)
        raw.sendto(b"/x\x00\x00,i\x00\x00", surfaces.osc.address)  # an int promised, none given
        raw.sendto(b"/" + b"a" * 20000, surfaces.osc.address)  # over max_packet
    expected = {
        "out of range, clamped": 1,
        "not a finite number": 1,
        "wrong argument type": 1,
        "wrong argument count": 2,
        "unknown address": 1,
        "no such scene": 1,
        "malformed packet": 2,
        "oversized packet": 1,
    }
    assert eventually(lambda: surfaces.drops.counts() == expected), surfaces.drops.counts()
    assert settled(bus)["psi"] == 2.0


def test_scenes_keyframes_seeds_and_the_latent(osc) -> None:
    surfaces, bus, client = osc
    client.send_message("/installation/scene", "calm")
    assert eventually(lambda: settled(bus)["psi"] == 0.4 and settled(bus)["glow"] is True)
    assert settled(bus)["keyframe"] == 2
    client.send_message("/installation/scene", [1, 0.0])  # by index, crossfade 0
    assert eventually(lambda: settled(bus)["psi"] == 1.5)
    motion = MotionWatch(surfaces.show, bus)  # at the scene's keyframe
    assert motion.start == 2
    client.send_message("/installation/keyframe/next", [])
    assert eventually(lambda: motion.keyframe() == 3)  # the one after where motion is
    client.send_message("/installation/keyframe", 9)  # wraps over the 4 keyframes
    client.send_message("/installation/seed", 1234)
    assert eventually(lambda: settled(bus)["keyframe"] == 1 and settled(bus)["seed"] == 1234)
    assert motion.keyframe() == 1
    client.send_message("/installation/latent", [0.5] * 8)
    assert eventually(lambda: bus.snapshot().count(LATENT) == 1)
    assert bus.snapshot().vector(LATENT).tolist() == [0.5] * 8
    client.send_message("/installation/latent", [0.5] * 7)  # not the model's z length: refused
    client.send_message("/installation/latent", [])
    assert eventually(lambda: bus.snapshot().count(LATENT) == 2) and bus.snapshot().vector(LATENT) is None
    client.send_message("/installation/learn", "psi")
    assert eventually(lambda: surfaces.bindings.learn.armed == "psi")


def test_bundle_with_a_future_time_tag_waits_for_it(osc) -> None:
    surfaces, bus, client = osc
    bundle = OscBundleBuilder(time.time() + 0.4)
    message = OscMessageBuilder("/installation/param/speed/raw")
    message.add_arg(6.0)
    bundle.add_content(message.build())
    sent = time.monotonic()
    client.send(bundle.build())
    time.sleep(0.2)
    assert settled(bus)["speed"] == 1.0
    assert eventually(lambda: settled(bus)["speed"] == 6.0)
    assert time.monotonic() - sent >= 0.39
    now = OscBundleBuilder(0)  # "immediately"
    message = OscMessageBuilder("/installation/param/speed/raw")
    message.add_arg(2.0)
    now.add_content(message.build())
    client.send(now.build())
    assert eventually(lambda: settled(bus)["speed"] == 2.0, timeout=0.3)


def _receive(sock: socket.socket, timeout: float = 2.0) -> list[OscMessage]:
    sock.settimeout(timeout)
    messages = []
    try:
        while True:
            messages.append(OscMessage(sock.recv(65535)))
            sock.settimeout(0.2)
    except TimeoutError:
        return messages


def test_status_replies_to_the_sender(osc) -> None:
    surfaces, bus, _ = osc
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.sendto(OscMessageBuilder("/installation/status").build().dgram, surfaces.osc.address)
        replies = {m.address: m.params for m in _receive(sock)}
    assert replies["/installation/status"][0] == "untitled"
    assert replies["/installation/param/psi"] == [pytest.approx(0.35)]  # default 0.7 of 0..2
    assert replies["/installation/param/cutoff"] == [64]


def test_changes_are_echoed_rate_limited(running) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        surfaces, bus = running(
            SHOW.replace("port = 0\n", f'port = 0\necho = ["127.0.0.1:{port}"]\necho_rate = 10\n', 1)
        )
        _receive(sock, timeout=0.3)  # the first full round of values
        surfaces.recall_scene("wild", "midi")  # any surface's change goes out
        end = time.monotonic() + 1.0
        i = 0
        while time.monotonic() < end:  # 1 s of a fast-moving parameter
            surfaces.controls.write("radius", (i % 100) / 50, "midi", "knob")
            i += 1
            time.sleep(0.002)
        messages = _receive(sock, timeout=0.3)
    radius = [m for m in messages if m.address == "/installation/param/radius"]
    assert 5 <= len(radius) <= 13  # ~10 a second, however fast it moved
    assert any(m.address == "/installation/param/psi" and math.isclose(m.params[0], 0.75) for m in messages)
    assert ["wild"] in [m.params for m in messages if m.address == "/installation/scene"]


def test_oscquery_describes_the_address_space(running) -> None:
    surfaces, bus = running(SHOW.replace("query_port = -1", "query_port = 0"), z_dim=8)
    base = "http://%s:%d" % surfaces.query.address

    def get(path: str) -> dict:
        with urllib.request.urlopen(base + path, timeout=5) as reply:
            return json.loads(reply.read())

    root = get("/")
    param = root["CONTENTS"]["installation"]["CONTENTS"]["param"]["CONTENTS"]["psi"]
    assert param["FULL_PATH"] == "/installation/param/psi" and param["TYPE"] == "f" and param["ACCESS"] == 3
    assert param["RANGE"] == [{"MIN": 0.0, "MAX": 1.0}] and param["VALUE"] == [pytest.approx(0.35)]
    assert param["CONTENTS"]["raw"]["RANGE"] == [{"MIN": 0.0, "MAX": 2.0}]
    advertised = root["CONTENTS"]["installation"]["CONTENTS"]["param"]["CONTENTS"]
    assert not any(name.startswith("direction_") for name in advertised)  # directions = "none"
    assert get("/installation/scene")["RANGE"] == [{"VALS": ["calm", "wild"]}]
    assert get("/installation/latent")["TYPE"] == "f" * 8
    assert "/1/fader1" == root["CONTENTS"]["1"]["CONTENTS"]["fader1"]["FULL_PATH"]
    info = get("/?HOST_INFO")
    assert info["OSC_PORT"] == surfaces.osc.address[1] and info["OSC_TRANSPORT"] == "UDP"
    surfaces.controls.write("psi", 1.0, "osc", "osc")
    assert get("/installation/param/psi?VALUE") == {"VALUE": [0.5]}
    with pytest.raises(urllib.error.HTTPError) as missing:
        get("/installation/nothing")
    assert missing.value.code == 404


def test_a_reloaded_show_rebinds_without_reopening_the_port(running, show_file) -> None:
    surfaces, bus = running(SHOW)
    address = surfaces.osc.address
    edited = show_file(
        SHOW.replace('to = "speed"\ncurve = "exponential"', 'to = "radius"').replace(
            "[scenes.wild]", "[scenes.storm]"
        )
    )
    bus.reconfigure(edited.parameters)
    surfaces.reconfigure(edited)
    assert surfaces.osc.address == address
    client = SimpleUDPClient(*address)
    client.send_message("/1/fader1", 1.0)
    client.send_message("/installation/scene", ["storm", 0.0])
    assert eventually(lambda: settled(bus)["radius"] == 2.0 and settled(bus)["psi"] == 1.5)
    assert settled(bus)["speed"] == 1.0
    client.send_message("/installation/scene", "wild")
    assert eventually(lambda: surfaces.drops.counts().get("no such scene") == 1)
