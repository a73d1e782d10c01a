"""OSCQuery discovery: the OSC address space as JSON over HTTP, so TouchDesigner, Chataigne or
Vezér can list every address with its type, range and current value.

A stdlib HTTP server in a thread, bound to the same host as the OSC server. `GET /` returns the
whole tree; `GET /installation/param` a branch; `?HOST_INFO` the server description; `?VALUE`,
`?TYPE`, `?RANGE`, `?ACCESS`, `?DESCRIPTION` one attribute of a node (the OSCQuery proposal's
keys). Nothing here writes: values are set over OSC.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from installation.control.osc_api import Node
from installation.errors import UserError

log = logging.getLogger(__name__)

ATTRIBUTES = ("VALUE", "TYPE", "RANGE", "ACCESS", "DESCRIPTION", "FULL_PATH", "CONTENTS")
EXTENSIONS = {
    "ACCESS": True,
    "VALUE": True,
    "RANGE": True,
    "DESCRIPTION": True,
    "TYPE": True,
    "TAGS": False,
    "CLIPMODE": False,
    "UNIT": False,
    "LISTEN": False,
    "PATH_CHANGED": False,
}


def tree(nodes: dict[str, Node], values: dict[str, float]) -> dict[str, Any]:
    """The OSCQuery JSON of the whole address space."""
    root: dict[str, Any] = {"FULL_PATH": "/", "ACCESS": 0, "CONTENTS": {}}
    for path, node in sorted(nodes.items()):
        branch, parts = root, [p for p in path.split("/") if p]
        for depth, part in enumerate(parts):
            contents = branch.setdefault("CONTENTS", {})
            full = "/" + "/".join(parts[: depth + 1])
            branch = contents.setdefault(part, {"FULL_PATH": full, "ACCESS": 0})
        branch.update(_leaf(node, values))
    return root


def _leaf(node: Node, values: dict[str, float]) -> dict[str, Any]:
    leaf: dict[str, Any] = {"FULL_PATH": node.path, "ACCESS": node.access, "DESCRIPTION": node.description}
    if node.type:
        leaf["TYPE"] = node.type
        if node.range:
            leaf["RANGE"] = list(node.range)
    if node.value is not None:
        try:
            leaf["VALUE"] = node.value(values)
        except KeyError:
            pass
    return leaf


def find(root: dict[str, Any], path: str) -> dict[str, Any] | None:
    branch = root
    for part in (p for p in path.split("/") if p):
        branch = branch.get("CONTENTS", {}).get(part)
        if branch is None:
            return None
    return branch


class OscQueryServer:
    """Serves `nodes()` (with `values()`) on HTTP at (host, port); port 0 picks a free one."""

    def __init__(
        self,
        host: str,
        port: int,
        nodes: Callable[[], dict[str, Node]],
        values: Callable[[], dict[str, float]],
        host_info: Callable[[], dict[str, Any]],
    ) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, body = owner.answer(self.path)
                data = b"" if status == 204 else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                log.debug("OSCQuery: " + format, *args)

        self._nodes, self._values, self._host_info = nodes, values, host_info
        try:
            self._http = ThreadingHTTPServer((host, port), Handler)
        except OSError as error:
            raise UserError(f"cannot serve OSCQuery on {host}:{port}: {error.strerror or error}") from None
        self._http.daemon_threads = True
        self._thread = threading.Thread(target=self._http.serve_forever, name="oscquery", daemon=True)

    @property
    def address(self) -> tuple[str, int]:
        return self._http.server_address[:2]

    def start(self) -> None:
        self._thread.start()
        log.info("OSCQuery on http://%s:%d/", *self.address)

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()

    def answer(self, url: str) -> tuple[int, dict[str, Any]]:
        """(HTTP status, JSON body) for a request path with an optional ?ATTRIBUTE."""
        parts = urlsplit(url)
        query = parts.query.split("&")[0].upper()
        if query == "HOST_INFO":
            return 200, self._host_info()
        node = find(tree(self._nodes(), self._values()), unquote(parts.path))
        if node is None:
            return 404, {"error": "no such address"}
        if not query:
            return 200, node
        if query not in ATTRIBUTES:
            return 400, {"error": f"unknown attribute {query}"}
        if query not in node:
            return 204, {}
        return 200, {query: node[query]}
