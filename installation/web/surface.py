"""The web control surface of a running show: its server, preview and explorer together,
started with the other control surfaces (see installation/live.py's ControlsStarter)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from installation.show.sections import Show
from installation.web.explorer import Explorer
from installation.web.page import ShowPage
from installation.web.preview import Preview
from installation.web.security import resolve_token
from installation.web.server import ServerSettings, WebServer

log = logging.getLogger(__name__)


def server_settings(show: Show, token: str | None) -> ServerSettings:
    web = show.web
    return ServerSettings(web.host, web.port, token, web.allow, web.max_message, web.writes_per_second)


class WebSurface:
    """`live`: the LiveShow (its bus, clock, engine taps, model); `surfaces`: its running
    ControlSurfaces; `displayed_fps`: the screen's frame rate, for the status."""

    def __init__(self, live: Any, surfaces: Any, displayed_fps: Callable[[], float] = lambda: 0.0) -> None:
        show = live.show
        self.live = live
        self._token = resolve_token(show.web.host, show.web.token)
        self._settings = server_settings(show, self._token)
        self.preview = Preview(show.web.preview_fps, show.web.preview_quality, self._picture)
        self.explorer = (
            Explorer(
                lambda: live.renderer.G if live.renderer else None,
                lambda: surfaces.controls.current("psi"),
                self._thumbnail,
                size=show.web.thumbnail,
                share=show.web.explorer_share,
                class_label=show.model.class_label,
            )
            if show.web.explorer
            else None
        )
        self.page = ShowPage(
            live,
            surfaces,
            displayed_fps=displayed_fps,
            explore=self.explorer.request if self.explorer else None,
        )
        self.server = WebServer(self._settings, self.page, on_width=self._width)
        self._tapped = False

    def start(self) -> "WebSurface":
        self.server.start()  # first: a port taken leaves nothing else running
        self.preview.start()
        if self.explorer is not None:
            self.explorer.start()
        self.live.add_tap(self.preview.offer)
        self._tapped = True
        print(f"control page: {self.server.url}", flush=True)
        return self

    def stop(self) -> None:
        self.server.stop()
        if self._tapped:  # a restarted page (after a reload) adds its own
            self.live.remove_tap(self.preview.offer)
            self._tapped = False
        self.preview.stop()
        if self.explorer is not None:
            self.explorer.stop()

    def reconfigure(self, show: Show) -> bool:
        """Follow a reloaded show; False when the server itself must restart (its address,
        token, limits or the explorer changed), which the caller does by making a new one."""
        token = resolve_token(show.web.host, show.web.token or self._token or "")
        if server_settings(show, token) != self._settings or show.web.explorer != (self.explorer is not None):
            return False
        self.preview.fps, self.preview.quality = show.web.preview_fps, show.web.preview_quality
        self.server.relayout()
        return True

    def thread_ids(self) -> dict[str, int | None]:
        """The system ids of the page's threads (for CPU accounting in `run.py bench --web`)."""
        ids = {"web server": self.server.thread_id, "preview": self.preview.thread_id}
        if self.explorer is not None:
            ids["explorer"] = self.explorer.thread_id
        return ids

    def _picture(self, jpeg: bytes) -> None:
        self.server.send_picture(jpeg)

    def _thumbnail(self, seed: int, jpeg: bytes) -> None:
        self.server.send_thumbnail(seed, jpeg)

    def _width(self, width: int) -> None:
        self.preview.width = width
