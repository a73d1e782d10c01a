"""The displays SDL sees: where each is on the desktop, its size, name and refresh rate.

pygame 2 does not expose SDL's display bounds, names or refresh rates, so they are read from the
SDL library pygame itself loaded (the same instance, through ctypes). Where that library cannot
be found, sizes come from pygame alone and positions and rates are unknown.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import glob
import os
from dataclasses import dataclass
from functools import cache

from installation.errors import UserError


@dataclass(frozen=True)
class Display:
    index: int
    name: str
    x: int
    y: int
    width: int
    height: int
    refresh_hz: float | None  # None where SDL cannot tell (many virtual and remote screens)

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height

    def line(self) -> str:
        rate = f"{self.refresh_hz:g} Hz" if self.refresh_hz else "refresh rate unknown"
        return f"{self.index}: {self.name}  {self.width}x{self.height} at ({self.x}, {self.y}), {rate}"


class _Rect(ctypes.Structure):
    _fields_ = [("x", ctypes.c_int), ("y", ctypes.c_int), ("w", ctypes.c_int), ("h", ctypes.c_int)]


class _Mode(ctypes.Structure):
    _fields_ = [
        ("format", ctypes.c_uint32),
        ("w", ctypes.c_int),
        ("h", ctypes.c_int),
        ("refresh_rate", ctypes.c_int),
        ("driverdata", ctypes.c_void_p),
    ]


@cache
def _sdl() -> ctypes.CDLL | None:
    """pygame's own SDL2 library (its wheel bundles one), else the system's."""
    import pygame

    here = os.path.dirname(pygame.__file__)
    patterns = [
        os.path.join(here, os.pardir, "pygame.libs", "libSDL2-*.so*"),  # Linux wheels
        os.path.join(here, ".dylibs", "libSDL2*.dylib"),  # macOS wheels
        os.path.join(here, "SDL2.dll"),  # Windows wheels
    ]
    found = [path for pattern in patterns for path in glob.glob(pattern)]
    path = found[0] if found else ctypes.util.find_library("SDL2")
    if path is None:
        return None
    try:
        sdl = ctypes.CDLL(path)
    except OSError:
        return None
    sdl.SDL_GetDisplayName.restype = ctypes.c_char_p
    return sdl


def list_displays() -> list[Display]:
    """Every display, in SDL's order (the index `display.screen` takes). SDL video must be up."""
    import pygame

    sizes = pygame.display.get_desktop_sizes()
    sdl = _sdl()
    displays = []
    for index, (width, height) in enumerate(sizes):
        name, x, y, rate = f"display {index}", 0, 0, None
        if sdl is not None:
            rect, mode = _Rect(), _Mode()
            if sdl.SDL_GetDisplayBounds(index, ctypes.byref(rect)) == 0:
                x, y, width, height = rect.x, rect.y, rect.w, rect.h
            if sdl.SDL_GetDesktopDisplayMode(index, ctypes.byref(mode)) == 0 and mode.refresh_rate > 0:
                rate = float(mode.refresh_rate)
            name = (sdl.SDL_GetDisplayName(index) or b"").decode(errors="replace") or name
        displays.append(Display(index, name, x, y, width, height, rate))
    return displays


def choose_display(screen: int | str, displays: list[Display] | None = None) -> Display:
    """The display `screen` names: its index, or (part of) its name, case aside."""
    displays = list_displays() if displays is None else displays
    listed = "; ".join(d.line() for d in displays)
    if isinstance(screen, int):
        if 0 <= screen < len(displays):
            return displays[screen]
        raise UserError(f"display.screen = {screen}, but there are {len(displays)} displays: {listed}")
    matches = [d for d in displays if screen.lower() in d.name.lower()]
    if len(matches) != 1:
        what = "no display" if not matches else "more than one display"
        raise UserError(f'display.screen = "{screen}": {what} by that name: {listed}')
    return matches[0]
