"""The window: borderless, optionally full-screen on a chosen monitor, scaled by SDL's renderer.

Frames are uploaded once into streaming textures and drawn with a destination rectangle, so
scaling (and the cross-fade between two frames) is done by the renderer (on the GPU where
there is one), not by `smoothscale` on the CPU.
"""

from __future__ import annotations

import os
from collections import OrderedDict

import numpy as np

from installation.display.errors import DisplayUnavailable
from installation.display.layout import placement
from installation.engine.frames import Frame, FramePair

KEPT_TEXTURES = 3  # the pair on screen and the next frame: each is uploaded once
RENDER_COMMAND = "render it to a file instead: run.py render SHOW --seconds 60 --out walk.mp4"


def init_video() -> None:
    """Start SDL's video subsystem on a real screen, or say in one line why there is none."""
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    os.environ.setdefault("SDL_RENDER_SCALE_QUALITY", "linear")  # bilinear scaling of textures
    import pygame

    chosen = os.environ.get("SDL_VIDEODRIVER")
    # The driver for the desktop we were given (X first, as SDL itself prefers): when that one
    # fails, SDL would try the others, print about them, and settle for an invisible off-screen
    # "window". Without X or Wayland only the console (KMS/DRM) can show anything.
    desktop = next((name for name in ("DISPLAY", "WAYLAND_DISPLAY") if os.environ.get(name)), None)
    if not chosen:
        os.environ["SDL_VIDEODRIVER"] = {"DISPLAY": "x11", "WAYLAND_DISPLAY": "wayland"}.get(
            desktop, "kmsdrm"
        )
    try:
        pygame.display.init()
    except pygame.error as error:
        if desktop is None:
            unset = "DISPLAY and WAYLAND_DISPLAY are unset"
            raise DisplayUnavailable(f"no display here ({unset})", RENDER_COMMAND) from None
        if chosen:
            raise DisplayUnavailable(f"cannot open a window ({error})", RENDER_COMMAND) from None
        raise DisplayUnavailable(
            f"cannot reach the display {desktop}={os.environ[desktop]} (is it running, and may this "
            "user open windows on it?)",
            RENDER_COMMAND,
        ) from None
    finally:
        if not chosen:
            os.environ.pop("SDL_VIDEODRIVER", None)


def _require_monitor(index: int) -> None:
    import pygame

    displays = pygame.display.get_num_displays()
    if not 0 <= index < displays:
        raise DisplayUnavailable(f"display {index} asked for, but there are {displays} (counting from 0)")


def check_display(index: int) -> None:
    """Raise DisplayUnavailable unless monitor `index` could be opened now; SDL's video is shut
    down again either way (so that a display server that comes and goes is seen afresh)."""
    import pygame

    init_video()
    try:
        _require_monitor(index)
    finally:
        pygame.display.quit()


class Screen:
    """One SDL window and renderer. `size` is the window size used when not full-screen."""

    def __init__(
        self,
        *,
        fullscreen: bool = True,
        display: int = 0,
        size: tuple[int, int] = (1280, 720),
        mode: str = "fit",
        background: tuple[int, int, int] = (0, 0, 0),
        title: str = "installation",
        vsync: bool = True,
    ) -> None:
        import pygame
        from pygame._sdl2 import video

        init_video()
        _require_monitor(display)
        where = video.WINDOWPOS_CENTERED | display  # SDL: centred on that monitor
        try:
            self.window = video.Window(
                title, size=size, position=(where, where), borderless=True, fullscreen_desktop=fullscreen
            )
            self.renderer = video.Renderer(self.window, vsync=vsync)
        except pygame.error as error:
            raise DisplayUnavailable(f"cannot open a window ({error})", RENDER_COMMAND) from None
        pygame.mouse.set_visible(False)
        self.mode = mode
        self.background = background
        self._windowed_size = size
        self._fullscreen = fullscreen
        self._textures: OrderedDict[int, object] = OrderedDict()

    @property
    def size(self) -> tuple[int, int]:
        return tuple(self.window.size)

    @property
    def fullscreen(self) -> bool:
        return self._fullscreen

    def set_fullscreen(self, on: bool) -> None:
        if on:
            self.window.set_fullscreen(desktop=True)
        else:
            self.window.set_windowed()
            self.window.size = self._windowed_size
        self._fullscreen = on

    def _texture(self, frame: Frame):
        """The frame's texture, uploading it only the first time it is shown."""
        import pygame
        from pygame._sdl2 import video

        texture = self._textures.get(frame.serial)
        if texture is not None:
            self._textures.move_to_end(frame.serial)
            return texture
        h, w = frame.pixels.shape[:2]
        if len(self._textures) >= KEPT_TEXTURES:
            _, texture = self._textures.popitem(last=False)
            if (texture.width, texture.height) != (w, h):
                texture = None
        texture = texture or video.Texture(self.renderer, (w, h), streaming=True)
        pixels = np.ascontiguousarray(frame.pixels)  # ring frames already are: no copy
        texture.update(pygame.image.frombuffer(pixels, (w, h), "RGB"))
        self._textures[frame.serial] = texture
        return texture

    def _draw(self, frame: Frame, alpha: float) -> None:
        import pygame

        texture = self._texture(frame)
        src, dst = placement((texture.width, texture.height), self.size, self.mode)
        texture.blend_mode = pygame.BLENDMODE_BLEND if alpha < 1 else pygame.BLENDMODE_NONE
        texture.alpha = round(alpha * 255)
        texture.draw(srcrect=src, dstrect=dst)

    def show(self, pair: FramePair | None, overlay=None, capture: bool = False) -> np.ndarray | None:
        """Draw `pair` (`b` cross-faded over `a`) and an optional overlay texture, and present.
        With `capture`, also return what was drawn, [H, W, 3] uint8 (slow: for checks)."""
        self.renderer.draw_color = (*self.background, 255)
        self.renderer.clear()
        if pair is not None:
            self._draw(pair.a, 1.0)
            if pair.b is not None and pair.alpha > 0:
                self._draw(pair.b, pair.alpha)
        if overlay is not None:
            overlay.draw(dstrect=(8, 8, overlay.width, overlay.height))
        picture = self._read_back() if capture else None  # before present: the back buffer is then undefined
        self.renderer.present()
        return picture

    def _read_back(self) -> np.ndarray:
        import pygame

        return pygame.surfarray.array3d(self.renderer.to_surface()).transpose(1, 0, 2).copy()

    def close(self) -> None:
        self._textures.clear()
        self.window.destroy()
