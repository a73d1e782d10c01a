"""A read-only HTTP endpoint: GET /health answers the piece's state as JSON.

It runs in the supervisor (so it answers while the renderer restarts) on daemon threads using
the standard library's server, one per connection. Nothing it receives is interpreted beyond
the request line: one path, GET and HEAD only, no query handling. It listens on loopback unless
the show names another address; then an optional allow-list of sender networks applies.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import socket
import threading
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, HTTPServer
from socketserver import ThreadingMixIn
from typing import Any

log = logging.getLogger(__name__)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_CONNECTIONS = 32


def allowed(address: str, networks: Iterable[Network]) -> bool:
    """Whether a sender may talk to us; an empty allow-list allows everyone."""
    networks = list(networks)
    if not networks:
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:  # ::ffff:a.b.c.d on dual-stack sockets
        ip = ip.ipv4_mapped
    return any(ip.version == net.version and ip in net for net in networks)


class _Server(ThreadingMixIn, HTTPServer):
    # A thread per connection, so that an idle one (a browser's speculative pre-connect) cannot
    # hold up a probe; at most MAX_CONNECTIONS at once, further ones are closed unanswered, and a
    # flood beyond that queues in the kernel's bounded backlog, never as threads or memory here.
    request_queue_size = 16
    daemon_threads = True
    block_on_close = False

    def __init__(
        self, address: tuple[str, int], status: Callable[[], dict[str, Any]], allow: tuple[Network, ...]
    ):
        self.status, self.allow = status, allow
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def verify_request(self, request: Any, client_address: Any) -> bool:
        return allowed(client_address[0], self.allow)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = 2  # a client that connects and says nothing is dropped soon

    def _answer(self, body: bool) -> None:
        if self.path.split("?", 1)[0] != "/health":
            self.send_error(404)
            return
        try:
            data = json.dumps(self.server.status(), default=str).encode()
            code = 200
        except Exception as error:  # noqa: BLE001 - the page must answer even when a status source breaks
            data, code = json.dumps({"error": repr(error)}).encode(), 500
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if body:
            self.wfile.write(data)

    def do_GET(self) -> None:
        self._answer(body=True)

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("health %s: " + format, self.client_address[0], *args)


class HealthServer:
    """Serves `status()` at /health on `host:port` (port 0: any free port, see `.port`)."""

    def __init__(
        self,
        status: Callable[[], dict[str, Any]],
        host: str = "127.0.0.1",
        port: int = 0,
        allow: Iterable[Network] = (),
    ) -> None:
        self._server = _Server((host, port), status, tuple(allow))
        self.host, self.port = host, self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="health", daemon=True)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/health"

    def start(self) -> HealthServer:
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=2)
