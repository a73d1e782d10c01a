"""Turning the screen off while the venue is closed, where the platform lets us (X11's DPMS).

Optional by nature: without X11 or `xset` (Wayland, the dummy video driver of the tests) the
picture is simply black. Failures are logged once; nothing here can stop the show.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess

log = logging.getLogger(__name__)

TIMEOUT_S = 5.0


class ScreenPower:
    def __init__(self) -> None:
        self._xset = shutil.which("xset") if os.environ.get("DISPLAY") else None
        self._warned = False

    def _run(self, *args: str) -> bool:
        if self._xset is None:
            return False
        try:
            subprocess.run([self._xset, *args], check=True, timeout=TIMEOUT_S, capture_output=True)
            return True
        except (OSError, subprocess.SubprocessError) as error:
            if not self._warned:
                log.warning("cannot switch the screen with xset %s: %s", " ".join(args), error)
                self._warned = True
            return False

    def off(self) -> bool:
        return self._run("+dpms", "dpms", "force", "off")

    def on(self) -> bool:
        # Wake the screen, then keep the X server from blanking it again on its own.
        return self._run("dpms", "force", "on") and self._run("s", "off", "-dpms")
