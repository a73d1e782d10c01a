"""A live show serving its web page, as `run.py play` starts it: a real window (Xvfb), the
control surfaces (real OSC on loopback) and the page's server on a free port."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.display.conftest import x_display  # noqa: F401  (the window needs an X server)
from tests.engine.live_helpers import one_torch_thread  # noqa: F401  (autouse)
from tests.parts import require_part

SHOW = """
# The web page tests' show: comments like this one must survive the page's edits.
[show]
name = "web test"

[model]
path = "tiny.pkl"

[render]
device = "cpu"
precision = "fp32"

[motion]
keyframes = [1, 2, 3]
period_seconds = 4.0
directions = "sefa"
direction_count = 3

[web]
enabled = true
port = 0
preview_fps = 10
thumbnail = 32

[osc]
port = 0
query_port = -1

[midi]
enabled = false

[display]
fullscreen = false
allow_quit = false

[parameters.glow]
type = "bool"
help = "a toggle of the show's own"

[scenes.calm]
values = { psi = 0.3 }  # a quiet look
crossfade = 0.0
"""


@dataclass
class WebShow:
    live: object
    presenter: object
    surfaces: object
    web: object  # the WebSurface
    url: str
    path: Path

    def pump(self, seconds: float) -> None:
        """Let the window present for a while (it is the test's main thread)."""
        self.presenter.run(seconds)


@pytest.fixture(scope="module")
def web_show(x_display, tmp_path_factory):  # noqa: F811
    from installation.display import Presenter, Screen
    from installation.live import ControlsStarter, LiveShow
    from installation.show.loader import load_show
    from installation.show.watcher import ShowWatcher
    from tests.control.helpers import eventually
    from tests.sinks.show_files import tiny_checkpoint

    folder = tmp_path_factory.mktemp("web")
    tiny_checkpoint(folder)
    (folder / "show.toml").write_text(SHOW)
    show = load_show(folder / "show.toml")
    starter = ControlsStarter()
    live = LiveShow(show, port=starter, backend="torch").start()
    screen = Screen(fullscreen=False, size=(320, 240), mode="fit", vsync=False)
    presenter = Presenter(screen, live, allow_quit=False, actions=live.actions(), fps=30)
    watcher = ShowWatcher(show, live.reload, on_error=live.report, interval=0.1)
    starter.start(live, lambda: presenter.displayed_fps)
    watcher.start()
    try:
        assert eventually(lambda: starter.web is not None or live.error is not None, timeout=60)
        assert live.error is None, live.error
        assert eventually(lambda: live.pair_at(live.clock.now()) is not None, timeout=60)
        web = starter.web
        yield WebShow(live, presenter, starter.surfaces, web, web.server.url, show.path)
    finally:
        watcher.stop()
        starter.stop()
        live.stop()
        screen.close()


def chromium_or_skip() -> str:
    """Debian's chromium, for Playwright to drive (never `playwright install`'s download)."""
    import importlib.util
    import shutil

    if importlib.util.find_spec("playwright") is None:
        require_part("playwright", "pip install playwright (it comes with the test extra)")
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        require_part("chromium", "apt-get install chromium (the browser tests drive it headless)")
    return path
