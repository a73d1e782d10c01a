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
    desktop = os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    if not chosen and not desktop:
        # Without X or Wayland only the console (KMS/DRM) can show anything; SDL's fallback
        # would be an invisible off-screen "window".
        os.environ["SDL_VIDEODRIVER"] = "kmsdrm"
    try:
        pygame.display.init()
    except pygame.error as error:
        if not desktop:
            unset = "DISPLAY and WAYLAND_DISPLAY are unset"
            raise DisplayUnavailable(f"no display here ({unset}): {RENDER_COMMAND}") from None
        raise DisplayUnavailable(f"cannot open a window ({error}): {RENDER_COMMAND}") from None
    finally:
        if not chosen:
            os.environ.pop("SDL_VIDEODRIVER", None)
    if pygame.display.get_driver() in ("offscreen", "dummy") and not chosen:
        # SDL falls back to an off-screen driver when it cannot reach the desktop it was given.
        pygame.display.quit()
        name = "DISPLAY" if os.environ.get("DISPLAY") else "WAYLAND_DISPLAY"
        raise DisplayUnavailable(
            f"cannot reach the display {name}={os.environ[name]} (is it running, and may this user "
            f"open windows on it?): {RENDER_COMMAND}"
        )


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
        displays = pygame.display.get_num_displays()
        if not 0 <= display < displays:
            raise DisplayUnavailable(
                f"display {display} asked for, but there are {displays} (counting from 0)"
            )
        where = video.WINDOWPOS_CENTERED | display  # SDL: centred on that monitor
        try:
            self.window = video.Window(
                title, size=size, position=(where, where), borderless=True, fullscreen_desktop=fullscreen
            )
            self.renderer = video.Renderer(self.window, vsync=vsync)
        except pygame.error as error:
            raise DisplayUnavailable(f"cannot open a window ({error}): {RENDER_COMMAND}") from None
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
