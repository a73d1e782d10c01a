"""The window: borderless, optionally full-screen on a chosen monitor, scaled by SDL's renderer.

Frames are uploaded once into streaming textures and drawn with a destination rectangle, so
scaling is done by the renderer (on the GPU where there is one), not by `smoothscale` on the
CPU; `scale = "sharp"` resamples a small frame once, as it arrives (see scaling.py).

The cross-fade between two frames is made on the CPU at the size the frames are uploaded at,
and drawn as one opaque picture, unless that is larger than 1280x720. A second, blended
full-screen draw costs a GPU nothing, but a machine without one usually draws with Mesa's
llvmpipe on the CPU: there it cost 20-23 ms of CPU per 1280x720 refresh against 7-8 ms for one
opaque draw of a frame blended first (14 ms with `sharp` scaling, which blends the resampled
pictures); at 60 Hz that is most of one of two cores given back to the generator.
"""

from __future__ import annotations

import os
from collections import OrderedDict

import numpy as np

from installation.display.displays import Display, choose_display
from installation.display.errors import DisplayUnavailable
from installation.display.layout import placement
from installation.display.present import unlocked_present
from installation.display.scaling import ScreenScale, chosen_scale, drawn_size, sharp_resize
from installation.display.x_errors import log_x_errors
from installation.engine.frames import Frame, FramePair
from installation.errors import UserError

KEPT_TEXTURES = 3  # the pair on screen and the next frame: each is uploaded once
CPU_FADE_MAX_PIXELS = 1280 * 720  # larger cross-fades are left to the renderer's blending
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
    if pygame.display.get_driver() == "x11":
        log_x_errors()


def _require_monitor(screen: int | str) -> Display:
    """The display `screen` names (its number or part of its name), or DisplayUnavailable
    naming those there are."""
    try:
        return choose_display(screen)
    except UserError as error:
        raise DisplayUnavailable(str(error)) from None


def check_display(index: int | str) -> None:
    """Raise DisplayUnavailable unless monitor `index` could be opened now; SDL's video is shut
    down again either way (so that a display server that comes and goes is seen afresh)."""
    import pygame

    init_video()
    try:
        _require_monitor(index)
    finally:
        pygame.display.quit()


class Screen:
    """One SDL window and renderer on the display `display` names (its index or part of its
    name, see `run.py displays`). Full screen, the window is sized and placed from that
    display's bounds, so it covers the display with or without a window manager (with none,
    as in a kiosk started by xinit, nothing else would make it full-size). `size` is the
    window size when not full-screen."""

    def __init__(
        self,
        *,
        fullscreen: bool = True,
        display: int | str = 0,
        size: tuple[int, int] = (1280, 720),
        mode: str = "fit",
        background: tuple[int, int, int] = (0, 0, 0),
        title: str = "installation",
        vsync: bool = True,
        scale: str = "auto",
        sharpen: float = 0.0,
    ) -> None:
        import pygame
        from pygame._sdl2 import video

        init_video()
        self.display = _require_monitor(display)
        try:
            self.window = video.Window(
                title, size=size, position=self._centred(size), borderless=True, fullscreen=False
            )
            if fullscreen:
                self._cover_display()
            self.renderer = video.Renderer(self.window, vsync=vsync)
        except pygame.error as error:
            raise DisplayUnavailable(f"cannot open a window ({error})", RENDER_COMMAND) from None
        # Other threads (the engine's) run while SDL draws and hands the picture over.
        self._present = unlocked_present(self.window.id) or self.renderer.present
        pygame.mouse.set_visible(False)
        self.mode = mode
        self.background = background
        self.scale, self.sharpen = scale, sharpen
        self._windowed_size = size
        self._shown_size = self.size
        self._fullscreen = fullscreen
        self._textures: OrderedDict[tuple, object] = OrderedDict()
        self._filters: dict[tuple, str] = {}  # texture key -> SDL filter it was made with
        self._resampled: OrderedDict[tuple, np.ndarray] = OrderedDict()  # `sharp` pictures by key
        self._fades: dict[tuple, object] = {}  # (w, h, filter) -> the texture cross-fades are drawn from
        self._overlay: tuple[object, object] | None = None  # (surface, its texture)

    def _centred(self, size: tuple[int, int]) -> tuple[int, int]:
        d = self.display
        return d.x + (d.width - size[0]) // 2, d.y + (d.height - size[1]) // 2

    def _cover_display(self) -> None:
        """Exactly the display's rectangle, then the window manager's full-screen state too."""
        d = self.display
        self.window.size = d.size
        self.window.position = (d.x, d.y)
        self.window.set_fullscreen(desktop=True)

    @property
    def size(self) -> tuple[int, int]:
        return tuple(self.window.size)

    def scaling(self) -> ScreenScale:
        """How frames are scaled here now, safe to call from the engine's thread: it reads the
        window size the last `show` saw, not SDL's (SDL is for the main thread only)."""
        return ScreenScale(self.scale, self.sharpen, self.mode, self._shown_size)

    @property
    def refresh_hz(self) -> float | None:
        """The display's refresh rate as SDL reads it (None where it cannot be read)."""
        return self.display.refresh_hz

    @property
    def fullscreen(self) -> bool:
        return self._fullscreen

    def set_fullscreen(self, on: bool) -> None:
        if on:
            self._cover_display()
        else:
            self.window.set_windowed()
            self.window.size = self._windowed_size
            self.window.position = self._centred(self._windowed_size)
        self._fullscreen = on

    def _look(self, frame: Frame) -> tuple[tuple, np.ndarray, str]:
        """(key, pixels, SDL filter): the frame as it is uploaded, scaled by `scale` (a `sharp`
        resample is made once per frame and kept while its texture is)."""
        h, w = frame.pixels.shape[:2]
        src, dst = placement((w, h), self.size, self.mode)
        drawn = drawn_size((w, h), dst, src)
        scale = chosen_scale(self.scale, (w, h), drawn)
        key = (frame.serial, scale, drawn if scale == "sharp" else None)
        if scale != "sharp":
            return key, frame.pixels, "nearest" if scale == "nearest" else "linear"
        pixels = self._resampled.get(key)
        if pixels is None:
            done = frame.shown is not None and frame.shown.shape[1::-1] == drawn
            pixels = frame.shown if done else sharp_resize(frame.pixels, drawn, self.sharpen)
            self._resampled[key] = pixels
            while len(self._resampled) > KEPT_TEXTURES:
                self._resampled.popitem(last=False)
        return key, pixels, "linear"

    def _texture(self, frame: Frame):
        """The frame's texture as drawn now (scaled by `scale`), uploaded only the first time."""
        key, pixels, filtering = self._look(frame)
        texture = self._textures.get(key)
        if texture is not None:
            self._textures.move_to_end(key)
            return texture
        h, w = pixels.shape[:2]
        texture = None
        if len(self._textures) >= KEPT_TEXTURES:
            old_key, texture = self._textures.popitem(last=False)
            if (texture.width, texture.height) != (w, h) or self._filters.pop(old_key) != filtering:
                texture = None
        self._textures[key] = self._upload(pixels, filtering, texture)
        self._filters[key] = filtering
        return self._textures[key]

    def _upload(self, pixels: np.ndarray, filtering: str, texture=None):
        """`pixels` [H, W, 3] into `texture`, or into a new streaming texture with `filtering`."""
        import pygame
        from pygame._sdl2 import video

        h, w = pixels.shape[:2]
        if texture is None:
            os.environ["SDL_RENDER_SCALE_QUALITY"] = filtering  # SDL reads it as a texture is made
            texture = video.Texture(self.renderer, (w, h), streaming=True)
        pixels = np.ascontiguousarray(pixels)  # ring frames already are: no copy
        texture.update(pygame.image.frombuffer(pixels, (w, h), "RGB"))
        return texture

    def _draw(self, frame: Frame, alpha: float) -> None:
        import pygame

        texture = self._texture(frame)
        src, dst = placement((texture.width, texture.height), self.size, self.mode)
        texture.blend_mode = pygame.BLENDMODE_BLEND if alpha < 1 else pygame.BLENDMODE_NONE
        texture.alpha = round(alpha * 255)
        texture.draw(srcrect=src, dstrect=dst)

    def _draw_fade(self, pair: FramePair) -> bool:
        """Draw `pair`'s cross-fade as one picture blended here (see the module's text); False,
        drawing nothing, where the renderer should blend (frames of two sizes, or too large)."""
        import cv2
        import pygame

        _, a, filtering = self._look(pair.a)
        _, b, b_filtering = self._look(pair.b)
        if a.shape != b.shape or filtering != b_filtering:
            return False
        (x, y, w, h), dst = placement((a.shape[1], a.shape[0]), self.size, self.mode)
        if w * h > CPU_FADE_MAX_PIXELS:
            return False
        area = np.s_[y : y + h, x : x + w]
        faded = cv2.addWeighted(a[area], 1.0 - pair.alpha, b[area], pair.alpha, 0.0)
        kind = (w, h, filtering)  # one per level and filter: a handful at most
        texture = self._fades[kind] = self._upload(faded, filtering, self._fades.get(kind))
        texture.blend_mode = pygame.BLENDMODE_NONE
        texture.draw(dstrect=dst)
        return True

    def _overlay_texture(self, surface):
        """The texture of an overlay surface (the HUD), uploaded when the surface changes."""
        import pygame
        from pygame._sdl2 import video

        if self._overlay is None or self._overlay[0] is not surface:
            texture = video.Texture.from_surface(self.renderer, surface)
            texture.blend_mode = pygame.BLENDMODE_BLEND
            self._overlay = (surface, texture)
        return self._overlay[1]

    def show(self, pair: FramePair | None, overlay=None, capture: bool = False) -> np.ndarray | None:
        """Draw `pair` (`b` cross-faded over `a`) and an optional overlay surface, and present.
        With `capture`, also return what was drawn, [H, W, 3] uint8 (slow: for checks)."""
        self._shown_size = self.size
        self.renderer.draw_color = (*self.background, 255)
        self.renderer.clear()
        if pair is not None:
            fading = pair.b is not None and pair.alpha > 0
            if not (fading and self._draw_fade(pair)):
                self._draw(pair.a, 1.0)
                if fading:
                    self._draw(pair.b, pair.alpha)
        if overlay is not None:
            texture = self._overlay_texture(overlay)
            texture.draw(dstrect=(8, 8, texture.width, texture.height))
        picture = self._read_back() if capture else None  # before present: the back buffer is then undefined
        self._present()
        return picture

    def _read_back(self) -> np.ndarray:
        import pygame

        return pygame.surfarray.array3d(self.renderer.to_surface()).transpose(1, 0, 2).copy()

    def close(self) -> None:
        """Free the textures, then the renderer, then the window, here and now. SDL frees an
        OpenGL renderer by making its context current on its window: after the window, that
        is an X error (BadDrawable), and Xlib's default handler ends the process. Nothing else
        holds these objects, so they go now, on this thread, never later in a garbage
        collection on another thread (which could run while `show` presents without the lock)."""
        self._textures.clear()
        self._filters.clear()
        self._resampled.clear()
        self._fades.clear()
        self._overlay = None
        self._present = None
        self.renderer = None
        self.window.destroy()
