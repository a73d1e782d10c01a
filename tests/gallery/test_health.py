"""The /health endpoint: JSON over real HTTP, read-only, loopback by default, allow-list for the LAN."""

from __future__ import annotations

import http.client
import ipaddress
import json
import socket

import pytest

from installation.gallery.health import HealthServer, allowed


@pytest.fixture
def server():
    servers = []

    def start(status, **kw) -> HealthServer:
        servers.append(HealthServer(status, **kw).start())
        return servers[-1]

    yield start
    for s in servers:
        s.close()


def request(server: HealthServer, method: str = "GET", path: str = "/health") -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(server.host, server.port, timeout=5)
    conn.request(method, path)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, body


def test_health_answers_json(server) -> None:
    s = server(lambda: {"fps": 30.0, "restarts": 2})
    code, body = request(s)
    assert code == 200 and json.loads(body) == {"fps": 30.0, "restarts": 2}
    assert s.url == f"http://127.0.0.1:{s.port}/health"


def test_only_get_and_head_on_one_path(server) -> None:
    s = server(lambda: {})
    assert request(s, path="/")[0] == 404
    assert request(s, path="/health/../etc")[0] == 404
    assert request(s, "HEAD") == (200, b"")
    assert request(s, "POST")[0] == 501
    assert request(s, "DELETE")[0] == 501


def test_a_failing_status_source_gives_500_and_the_server_lives_on(server) -> None:
    calls = []

    def status() -> dict:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("boom")
        return {"ok": True}

    s = server(status)
    code, body = request(s)
    assert code == 500 and "boom" in json.loads(body)["error"]
    assert request(s) == (200, b'{"ok": true}')


def test_binds_loopback_by_default(server) -> None:
    s = server(lambda: {})
    assert s.host == "127.0.0.1"
    assert s._server.socket.getsockname()[0] == "127.0.0.1"


def test_senders_outside_the_allow_list_are_refused(server) -> None:
    s = server(lambda: {"secret": 1}, allow=[ipaddress.ip_network("10.99.0.0/16")])
    with socket.create_connection(("127.0.0.1", s.port), timeout=5) as conn:
        conn.sendall(b"GET /health HTTP/1.0\r\n\r\n")
        assert conn.recv(1024) == b""  # closed without an answer
    assert request(server(lambda: {}, allow=[ipaddress.ip_network("127.0.0.0/8")]))[0] == 200


def test_allow_list_rules() -> None:
    lan = [ipaddress.ip_network("192.168.1.0/24")]
    assert allowed("192.168.1.7", lan) and not allowed("192.168.2.7", lan)
    assert allowed("::ffff:192.168.1.7", lan)
    assert not allowed("fe80::1", lan) and not allowed("garbage", lan)
    assert allowed("8.8.8.8", [])


def test_idle_connections_do_not_hold_up_a_probe(server) -> None:
    s = server(lambda: {"fps": 30.0})
    idle = [socket.create_connection((s.host, s.port)) for _ in range(10)]  # say nothing, stay open
    try:
        for _ in range(5):
            idle.append(socket.create_connection((s.host, s.port)))  # one more before every probe
            code, body = request(s)
            assert code == 200 and json.loads(body) == {"fps": 30.0}
    finally:
        for connection in idle:
            connection.close()
