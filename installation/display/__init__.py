"""The screen: an SDL window scaled by the GPU, the HUD, the keyboard.

- `Screen` (screen.py): the window and its renderer; `init_video` says why there is none
- `Presenter` (presenter.py): the display loop over a `Feed` of frames
- `placement`, `compose` (layout.py): fit / fill / stretch, on the GPU and on the CPU
"""

from installation.display.errors import DisplayUnavailable
from installation.display.layout import MODES, compose, placement
from installation.display.presenter import Feed, Presented, Presenter
from installation.display.screen import Screen, init_video

__all__ = [
    "DisplayUnavailable",
    "Feed",
    "MODES",
    "Presented",
    "Presenter",
    "Screen",
    "compose",
    "init_video",
    "placement",
]
