"""Show-file section of the web control surface: `[web]` (served by installation/web/)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from installation.show.gallery_sections import Address, Network
from installation.show.schema import Flag, Integer, ListOf, Number, Text, setting


@dataclass(frozen=True)
class WebSettings:
    enabled: bool = setting(False, Flag(), "serve the control page (every parameter, scenes, preview)")
    host: str = setting(
        "127.0.0.1",
        Address(),
        'address to listen on: "127.0.0.1" serves this machine only; the LAN address or '
        '"0.0.0.0" serves the network, and then a token is needed',
    )
    port: int = setting(8080, Integer(0, 65535), "TCP port of the page (0 picks a free one, logged at start)")
    token: str = setting(
        "",
        Text(),
        "pass phrase the page needs when served beyond loopback; empty: $INSTALLATION_WEB_TOKEN, "
        "else a new one printed at start",
    )
    allow: tuple[Any, ...] = setting(
        (), ListOf(Network()), "sender networks allowed when listening beyond loopback; empty allows any"
    )
    preview_fps: float = setting(4.0, Number(0, 30), "live preview pictures per second (0 turns it off)")
    preview_quality: int = setting(70, Integer(10, 95), "JPEG quality of the preview")
    max_message: int = setting(65536, Integer(256, 1048576), "larger messages close the connection (bytes)")
    writes_per_second: float = setting(
        60.0, Number(1, 1000), "most writes per second from one page; more get an error reply"
    )
    explorer: bool = setting(True, Flag(), "render seed thumbnails for the explorer, at low priority")
    explorer_share: float = setting(
        0.1, Number(0.01, 0.5), "most of the time the explorer may spend rendering thumbnails"
    )
    thumbnail: int = setting(64, Integer(16, 512), "thumbnail size in pixels (rendered at the nearest block)")
