"""OSC's allow-list: packets from senders outside it are dropped unread (a real client over
loopback UDP)."""

from __future__ import annotations

from pythonosc.udp_client import SimpleUDPClient

from tests.control.helpers import eventually, settled


def quiet(allow: str) -> str:
    return f"[osc]\nport = 0\nquery_port = -1\nallow = {allow}\n[midi]\nenabled = false\n"


def test_senders_outside_the_allow_list_are_dropped(running) -> None:
    surfaces, bus = running(quiet('["10.0.0.0/8", "192.168.1.7"]'))
    client = SimpleUDPClient(*surfaces.osc.address)
    client.send_message("/installation/param/psi", 0.25)
    assert eventually(lambda: surfaces.drops.counts().get("sender not allowed") == 1)
    assert settled(bus)["psi"] == 0.7  # untouched


def test_a_sender_in_the_allow_list_steers_the_show(running) -> None:
    surfaces, bus = running(quiet('["127.0.0.0/8"]'))
    SimpleUDPClient(*surfaces.osc.address).send_message("/installation/param/psi", 0.25)
    assert eventually(lambda: settled(bus)["psi"] == 0.5)
    assert surfaces.drops.total() == 0
