"""The page's WebSocket and HTTP side with a real client over loopback (aiohttp's), against a
live show: writes land on the bus through Controls, and whatever is wrong changes nothing."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import time

import aiohttp
import pytest

from installation.show.loader import load_show
from installation.web.server import ServerSettings, WebServer
from tests.control.helpers import eventually, settled


async def _talk(url: str, messages: list, replies: int) -> list[dict]:
    """Send `messages` over one socket; the first `replies` done/error answers."""
    answers = []
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(url) as ws:
            for message in messages:
                await ws.send_str(message if isinstance(message, str) else json.dumps(message))
            while len(answers) < replies:
                got = await asyncio.wait_for(ws.receive(), 10)
                if got.type != aiohttp.WSMsgType.TEXT:
                    continue
                data = json.loads(got.data)
                if data["type"] in ("done", "error"):
                    answers.append(data)
    return answers


def ws_url(web_show) -> str:
    host, port = web_show.web.server.address
    return f"http://{host}:{port}/ws"


def talk(web_show, messages: list, replies: int | None = None) -> list[dict]:
    return asyncio.run(_talk(ws_url(web_show), messages, len(messages) if replies is None else replies))


def test_writes_go_through_controls_and_bad_messages_change_nothing(web_show):
    bus = web_show.live.bus
    before = settled(bus)
    answers = talk(
        web_show,
        [
            "{not json",
            "[" * 50_000,  # nested too deep for the parser
            [1, 2],
            {"type": "rm -rf"},
            {"type": "set", "name": "psi", "value": "0.2"},
            {"type": "set", "name": "psi", "value": float("nan")},
            {"type": "set", "name": "nope", "value": 1},
            {"type": "keyframe", "index": 99},
            {"type": "scene", "name": "wild"},
            {"type": "save_scene", "name": "../../etc"},
            {"type": "pause", "paused": "yes"},
        ],
    )
    assert [a["type"] for a in answers] == ["error"] * 11
    assert answers[0]["error"] == answers[1]["error"] == "not JSON"
    assert "no parameter 'nope'" in answers[6]["error"]
    assert settled(bus) == before and not web_show.live.clock.paused

    answers = talk(
        web_show,
        [
            {"type": "set", "name": "radius", "value": 1.25},
            {"type": "set", "name": "glow", "value": True},
            {"type": "scene", "name": "calm"},
            {"type": "keyframe", "index": 2},
            {"type": "pause", "paused": True},
            {"type": "pause", "paused": False},
        ],
    )
    assert [a["type"] for a in answers] == ["done"] * 6, answers
    values = settled(bus)
    assert values["radius"] == 1.25 and values["glow"] is True and values["psi"] == pytest.approx(0.3)
    assert values["keyframe"] == 2 and not web_show.live.clock.paused
    controls = web_show.surfaces.controls
    assert controls.last_writer("radius") == "web" and controls.scene_name == "calm"


def test_osc_writes_and_every_other_write_reach_the_page(web_show):
    async def watch() -> dict:
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(ws_url(web_show)) as ws:
                seen: dict = {}
                deadline = time.monotonic() + 10
                first = True
                while time.monotonic() < deadline:
                    got = json.loads((await asyncio.wait_for(ws.receive(), 10)).data)
                    if got["type"] == "values":
                        seen.update(got["values"])
                        if first:  # the full set came; now another surface writes
                            first = False
                            web_show.surfaces.controls.write("noise_strength", 3.5, "midi", "midi")
                    if seen.get("noise_strength") == 3.5:
                        return seen
                return seen

    assert asyncio.run(watch()).get("noise_strength") == 3.5


def test_the_rate_limit_and_the_size_limit(web_show):
    many = [{"type": "set", "name": "mix_amount", "value": 0.5}] * 400
    answers = talk(web_show, many)
    refused = [a for a in answers if a["type"] == "error"]
    assert refused and all("slow down" in a["error"] for a in refused)
    assert len(answers) - len(refused) >= 100  # the burst goes through

    async def oversize() -> tuple[int | None, float]:
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(ws_url(web_show)) as ws:
                await ws.send_str(
                    json.dumps({"type": "set", "name": "psi", "value": 0.1, "pad": "x" * 100_000})
                )
                while (await asyncio.wait_for(ws.receive(), 10)).type not in (
                    aiohttp.WSMsgType.CLOSE,
                    aiohttp.WSMsgType.CLOSED,
                ):
                    pass
                return ws.close_code

    psi, server = web_show.surfaces.controls.current("psi"), web_show.web.server
    closed = server.oversize
    assert asyncio.run(oversize()) in (1009, 1006)  # message too big (or the socket went first)
    assert eventually(lambda: server.oversize == closed + 1)
    assert web_show.surfaces.controls.current("psi") == psi  # nothing written


def test_a_token_and_an_allow_list_beyond_loopback(web_show):
    page = web_show.web.page
    servers = [
        WebServer(ServerSettings("0.0.0.0", 0, "sesame"), page).start(),
        WebServer(
            ServerSettings("0.0.0.0", 0, "sesame", allow=(ipaddress.ip_network("10.0.0.0/8"),)),
            page,
        ).start(),
    ]

    async def probe(port: int, path: str) -> int:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}{path}") as response:
                return response.status

    try:
        open_port, closed_port = (s.address[1] for s in servers)
        assert asyncio.run(probe(open_port, "/")) == 403
        assert asyncio.run(probe(open_port, "/?token=wrong")) == 403
        assert asyncio.run(probe(open_port, "/ws?token=wrong")) == 403
        assert asyncio.run(probe(open_port, "/?token=sesame")) == 200
        assert asyncio.run(probe(closed_port, "/static/app.js")) == 403  # 127.0.0.1 is not in 10/8
        assert servers[0].refused == 3 and servers[1].refused == 1
    finally:
        for server in servers:
            server.stop()


def test_edits_are_written_into_the_show_file_with_its_comments_and_reloaded(web_show):
    path = web_show.path
    answers = talk(
        web_show,
        [
            {"type": "to_keyframe", "seed": 4242, "slot": 1},
            {"type": "label", "name": "direction_0", "label": "smile"},
            {"type": "set", "name": "speed", "value": 2.0},
            {"type": "save_scene", "name": "from_the_page"},
            {"type": "to_keyframe", "seed": 7, "slot": 9},
        ],
    )
    assert [a["type"] for a in answers] == ["done"] * 4 + ["error"], answers
    text = path.read_text()
    assert "comments like this one must survive" in text and "# a quiet look" in text
    assert eventually(lambda: web_show.live.show.motion.keyframes[1] == 4242, timeout=20)
    show = web_show.live.show
    assert show.parameter("direction_0").label == "smile"
    scene = next(s for s in show.scenes if s.name == "from_the_page")
    assert dict(scene.values)["speed"] == 2.0
    assert load_show(path).motion.keyframes == show.motion.keyframes
    assert eventually(lambda: any(p["label"] == "smile" for p in web_show.web.page.layout()["params"]))


def test_the_explorer_renders_thumbnails_and_the_audition_goes_through_the_bus(web_show):
    async def explore() -> dict[int, bytes]:
        thumbnails: dict[int, bytes] = {}
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(ws_url(web_show)) as ws:
                await ws.send_str(json.dumps({"type": "explore", "first": 10, "count": 3}))
                deadline = time.monotonic() + 30
                while len(thumbnails) < 3 and time.monotonic() < deadline:
                    got = await asyncio.wait_for(ws.receive(), 30)
                    if got.type == aiohttp.WSMsgType.BINARY and got.data[0] == 2:
                        thumbnails[int.from_bytes(got.data[1:5], "big")] = got.data[5:]
        return thumbnails

    thumbnails = asyncio.run(explore())
    assert sorted(thumbnails) == [10, 11, 12]
    assert all(t[:2] == b"\xff\xd8" for t in thumbnails.values())  # JPEG
    assert len(set(thumbnails.values())) == 3  # three different pictures

    bus = web_show.live.bus
    count = bus.snapshot().count("latent")
    assert talk(web_show, [{"type": "audition", "seed": 11}])[0]["type"] == "done"
    from installation.motion.latents import seed_z

    z = bus.snapshot().vector("latent")
    assert bus.snapshot().count("latent") == count + 1 and (z == seed_z(11, len(z))).all()
    talk(web_show, [{"type": "audition", "seed": None}])
    assert bus.snapshot().vector("latent") is None
