"""The page follows hot reloads of the show: its own settings in place where it can, a new
server where its address or limits changed, and the page's layout in every case."""

from __future__ import annotations

import urllib.request

import pytest

from tests.control.helpers import eventually


def edit(path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_a_reload_keeps_the_server_or_starts_a_new_one_when_it_must(web_show):
    starter = web_show.live.port
    first = starter.web
    edit(web_show.path, "preview_fps = 10", "preview_fps = 2")
    assert eventually(lambda: first.preview.fps == 2, timeout=20)
    assert starter.web is first  # same address, token and limits: the same server

    edit(web_show.path, "enabled = true\nport = 0", "enabled = true\nport = 0\nmax_message = 4096")
    assert eventually(lambda: starter.web is not first and starter.web is not None, timeout=20)
    second = starter.web
    assert second.server.settings.max_message == 4096
    assert web_show.live.sinks().count("Preview") == 1  # the old page's preview tap went with it
    with urllib.request.urlopen(second.server.url, timeout=5) as response:
        assert response.status == 200
    with pytest.raises(OSError):  # the old one is closed
        urllib.request.urlopen(first.server.url, timeout=5)
