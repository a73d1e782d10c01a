"""The page's HTTP and WebSocket server: aiohttp on its own event loop, in its own thread.

    GET /          the page (static/index.html); beyond loopback it needs ?token=...
    GET /static/*  its script, style sheet and icon, shipped in the package (no CDN)
    GET /ws        the WebSocket: JSON both ways, and binary pictures to the page

Every request is checked against the allow-list first (beyond loopback). On the socket the page
gets the layout, every value and the status at once, then changed values up to `PUSH_HZ` times
a second and the status twice a second; pictures go as binary messages, one kind byte first
(1: the preview, 2: a thumbnail with its seed as 4 bytes). What the page sends is JSON that
`ShowPage.handle` checks; a message it refuses, a malformed one or one over the rate limit gets
`{"type": "error"}` back and changes nothing; one over the size limit closes the connection.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import socket
import struct
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from installation.errors import UserError
from installation.gallery.health import Network, allowed
from installation.web.page import Refused, ShowPage
from installation.web.security import RateLimit, is_loopback, token_ok

log = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")
PUSH_HZ = 20.0
STATUS_SECONDS = 0.5
PREVIEW, THUMBNAIL = 1, 2
SECURITY_HEADERS = {
    # The page runs only its own files: nothing from elsewhere, no inline script.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' blob:; connect-src 'self'; "
    "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def lan_address() -> str:
    """This machine's address on the network its default route leads to (no packet is sent:
    connecting a UDP socket only picks the route); loopback when there is none."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.255.255.255", 1))
        return probe.getsockname()[0]
    except OSError:
        return "127.0.0.1"
    finally:
        probe.close()


@dataclass
class ServerSettings:
    host: str
    port: int
    token: str | None  # None: no token needed (loopback)
    allow: tuple[Network, ...] = ()
    max_message: int = 65536
    writes_per_second: float = 60.0


@dataclass(eq=False)
class Client:
    socket: web.WebSocketResponse
    limit: RateLimit
    width: int = 0  # the preview width it asked for
    sending_picture: bool = False
    values: dict[str, Any] = field(default_factory=dict)  # what it was last sent


class WebServer:
    def __init__(self, settings: ServerSettings, page: ShowPage, on_width=None) -> None:
        self.settings, self.page = settings, page
        self.refused = 0  # requests turned away (allow-list, token)
        self.oversize = 0  # connections closed for a message over the size limit
        self._on_width = on_width or (lambda width: None)
        self._clients: set[Client] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._address: tuple[str, int] = (settings.host, settings.port)
        self._thread = threading.Thread(target=self._run, name="web", daemon=True)

    # --- life cycle (any thread) -------------------------------------------------------------

    def start(self) -> "WebServer":
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            raise self._error
        return self

    def stop(self) -> None:
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(stop.set)
        self._thread.join(timeout=5)

    @property
    def thread_id(self) -> int | None:
        return self._thread.native_id

    @property
    def address(self) -> tuple[str, int]:
        return self._address

    @property
    def url(self) -> str:
        """The page's address to open, with its token; for a server on every interface, the
        address of this machine on its network (what a phone in the room would use)."""
        host, port = self._address
        if ipaddress.ip_address(host).is_unspecified:
            host = lan_address()
        host = f"[{host}]" if ":" in host else host
        token = self.settings.token
        return f"http://{host}:{port}/" + (f"?token={token}" if token else "")

    @property
    def clients(self) -> int:
        return len(self._clients)

    def send_picture(self, jpeg: bytes) -> None:
        self._call(self._broadcast_picture, bytes([PREVIEW]) + jpeg)

    def send_thumbnail(self, seed: int, jpeg: bytes) -> None:
        self._call(self._broadcast_bytes, bytes([THUMBNAIL]) + struct.pack(">I", seed) + jpeg)

    def relayout(self) -> None:
        """The show changed (a reload): every page gets the new layout."""
        self._call(self._broadcast_layout)

    def _call(self, coroutine_function, *args) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            asyncio.run_coroutine_threadsafe(coroutine_function(*args), loop)
        except RuntimeError:  # the loop closed meanwhile: nobody to tell
            pass

    # --- the loop ----------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as error:  # noqa: BLE001 - reported to start(), or logged once running
            if not self._ready.is_set():
                self._error = error
                self._ready.set()
            else:
                log.exception("web server stopped")

    async def _serve(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        app = web.Application(middlewares=[self._guard], client_max_size=self.settings.max_message)
        app.router.add_get("/", self._index)
        app.router.add_get("/ws", self._socket)
        app.router.add_static("/static", STATIC, show_index=False, follow_symlinks=False)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        host, port = self.settings.host, self.settings.port
        site = web.TCPSite(runner, host, port, reuse_address=True)
        try:
            await site.start()
        except OSError as error:
            await runner.cleanup()
            why = error.strerror or error
            raise UserError(f"cannot serve the web page on {host}:{port}: {why}") from None
        if runner.addresses:
            self._address = tuple(runner.addresses[0][:2])
        self._ready.set()
        log.info("web page on %s", self.url if self.settings.token is None else self.url.split("?")[0])
        pusher = asyncio.create_task(self._push())
        await self._stop.wait()
        pusher.cancel()
        for client in list(self._clients):
            await client.socket.close()
        await runner.cleanup()

    @web.middleware
    async def _guard(self, request: web.Request, handler):
        remote = request.remote or ""
        if not is_loopback(self.settings.host) and not allowed(remote, self.settings.allow):
            self.refused += 1
            log.warning("web: refused %s (not in [web] allow)", remote)
            raise web.HTTPForbidden(text="this address may not use the page\n")
        if request.path in ("/", "/ws") and not token_ok(self.settings.token, request.query.get("token")):
            self.refused += 1
            log.warning("web: refused %s (wrong or missing token)", remote)
            raise web.HTTPForbidden(text="wrong or missing token: open the address printed at start\n")
        response = await handler(request)
        response.headers.update(SECURITY_HEADERS)
        return response

    async def _index(self, _request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "index.html")

    async def _socket(self, request: web.Request) -> web.StreamResponse:
        socket = web.WebSocketResponse(max_msg_size=self.settings.max_message, heartbeat=20)
        await socket.prepare(request)
        rate = self.settings.writes_per_second
        client = Client(socket, RateLimit(rate, 2 * rate))
        self._clients.add(client)
        try:
            await socket.send_json(self.page.layout())
            await self._send_values(client, force=True)
            await socket.send_json(self._status())
            async for message in socket:
                if message.type == WSMsgType.TEXT:
                    await socket.send_json(self._answer(client, message.data))
                elif message.type == WSMsgType.BINARY:
                    await socket.send_json({"type": "error", "error": "binary messages are not taken"})
                elif message.type == WSMsgType.ERROR:
                    if getattr(message.data, "code", None) == WSCloseCode.MESSAGE_TOO_BIG:
                        self.oversize += 1
                        log.warning("web: closed a connection from %s: message too big", request.remote)
                    break
        except ConnectionError:
            pass
        finally:
            self._clients.discard(client)
            self._widths_changed()
        return socket

    def _answer(self, client: Client, text: str) -> dict[str, Any]:
        """The reply to one text message; only a valid, allowed one changes anything."""
        if not client.limit.take():
            return {"type": "error", "error": "too many messages: slow down"}
        try:
            message = json.loads(text)
        except (ValueError, RecursionError):  # RecursionError: nested too deep
            return {"type": "error", "error": "not JSON"}
        request = message.get("type") if isinstance(message, dict) else None
        if request == "hello":  # the page's screen, for the preview's size
            width = message.get("width")
            if isinstance(width, int) and not isinstance(width, bool) and 0 < width <= 8192:
                client.width = width
                self._widths_changed()
                return {"type": "done", "request": "hello", "done": f"preview {width} px"}
            return {"type": "error", "request": "hello", "error": "width must be a number of pixels"}
        try:
            done = self.page.handle(message)
        except Refused as refused:
            return {"type": "error", "request": request, "error": str(refused)}
        return {"type": "done", "request": request, "done": done}

    def _widths_changed(self) -> None:
        self._on_width(max((c.width for c in self._clients), default=0))

    def _status(self) -> dict[str, Any]:
        status = self.page.status()
        status["pages"] = len(self._clients)
        return status

    async def _push(self) -> None:
        """Changed values to every page, up to PUSH_HZ a second; the status now and then."""
        since_status = 0.0
        while True:
            await asyncio.sleep(1 / PUSH_HZ)
            since_status += 1 / PUSH_HZ
            if not self._clients:
                continue
            try:
                values = self.page.values()
                status = self._status() if since_status >= STATUS_SECONDS else None
            except Exception:  # noqa: BLE001 - a reload race must not end the pushes
                log.exception("web: reading the show failed")
                continue
            for client in list(self._clients):
                await self._send_values(client, values=values)
                if status is not None:
                    await self._send(client, status)
            if status is not None:
                since_status = 0.0

    async def _send_values(self, client: Client, *, values=None, force: bool = False) -> None:
        values = self.page.values() if values is None else values
        changed = {k: v for k, v in values.items() if force or client.values.get(k) != v}
        if changed:
            client.values.update(changed)
            await self._send(client, {"type": "values", "values": changed})

    async def _send(self, client: Client, message: dict[str, Any]) -> None:
        try:
            await client.socket.send_json(message)
        except (ConnectionError, RuntimeError):
            self._clients.discard(client)

    async def _broadcast_layout(self) -> None:
        layout = self.page.layout()
        for client in list(self._clients):
            client.values.clear()
            await self._send(client, layout)
            await self._send_values(client, force=True)

    async def _broadcast_bytes(self, data: bytes) -> None:
        for client in list(self._clients):
            try:
                await client.socket.send_bytes(data)
            except (ConnectionError, RuntimeError):
                self._clients.discard(client)

    async def _broadcast_picture(self, data: bytes) -> None:
        """A preview picture to each page not still receiving the last one (a slow phone
        skips pictures rather than queueing them)."""
        for client in list(self._clients):
            if client.sending_picture or not client.width:
                continue
            client.sending_picture = True
            asyncio.create_task(self._send_picture(client, data))

    async def _send_picture(self, client: Client, data: bytes) -> None:
        try:
            await client.socket.send_bytes(data)
        except (ConnectionError, RuntimeError):
            self._clients.discard(client)
        finally:
            client.sending_picture = False
