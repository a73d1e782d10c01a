"""Presenting a window's renderer without holding Python's interpreter lock.

pygame's `Renderer.present` keeps the lock for the whole of `SDL_RenderPresent`, and that is
where the frame's drawing really happens (SDL batches the draws until then) and where it is
handed to the display server: 20-70 ms on a machine without a GPU (Mesa's llvmpipe under Xvfb),
during which the engine's thread cannot go from one torch operation to the next. Measured:
the generator ran 3-5x slower per frame beside the display than alone, while the process used
a third of a core. Called through ctypes, the same SDL function runs with the lock released.
"""

from __future__ import annotations

import ctypes
import logging
import re
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

# SDL2 itself, as pygame's wheels bundle it (libSDL2-2-<hash>.0.so...) or a system has it
# (libSDL2-2.0.so.0); not SDL2_image, _mixer, _ttf.
_SDL_LIBRARY = re.compile(r"/libSDL2-2[.-][^/]*\.so[^/]*$")


def loaded_sdl() -> ctypes.CDLL | None:
    """The SDL2 library this process has loaded (pygame's), or None where it cannot be found
    (no /proc: not Linux)."""
    try:
        maps = Path("/proc/self/maps").read_text().splitlines()
    except OSError:
        return None
    paths = {line.split()[-1] for line in maps if _SDL_LIBRARY.search(line)}
    if len(paths) != 1:  # none, or two SDLs: which one pygame uses is not known
        return None
    return ctypes.CDLL(paths.pop())  # already loaded: the same copy and state as pygame's


def unlocked_present(window_id: int) -> Callable[[], None] | None:
    """A call that presents the renderer of SDL window `window_id` (`Window.id`) with the
    interpreter lock released, or None where SDL is not reachable so (then use pygame's)."""
    sdl = loaded_sdl()
    if sdl is None:
        return None
    sdl.SDL_GetWindowFromID.argtypes = [ctypes.c_uint32]
    sdl.SDL_GetWindowFromID.restype = ctypes.c_void_p
    sdl.SDL_GetRenderer.argtypes = [ctypes.c_void_p]
    sdl.SDL_GetRenderer.restype = ctypes.c_void_p
    sdl.SDL_RenderPresent.argtypes = [ctypes.c_void_p]
    sdl.SDL_RenderPresent.restype = None
    renderer = sdl.SDL_GetRenderer(sdl.SDL_GetWindowFromID(window_id))
    if not renderer:
        log.debug("SDL window %d has no renderer reachable through ctypes", window_id)
        return None
    present = sdl.SDL_RenderPresent
    return lambda: present(renderer)
