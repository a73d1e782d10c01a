"""The heads-up display: frame rates, render state and parameter values, as a small texture."""

from __future__ import annotations

from collections.abc import Mapping

from installation.engine.engine import EngineStats

REFRESH_S = 0.25  # text changes this often at most: rendering it is not free
MAX_PARAMETERS = 16


def hud_lines(
    stats: EngineStats | None,
    displayed_fps: float,
    params: Mapping[str, float | int | bool],
    *,
    full_resolution: int | None = None,
    paused: bool = False,
    note: str = "",
    inputs: Mapping[str, object] | None = None,
) -> list[str]:
    """The HUD's text. Latency is the bound a parameter change can take to show (see the engine).
    `inputs`: the control surfaces' state (OSC, MIDI, scene, webcam features), a debug view."""
    if stats is None:
        lines = [f"displayed {displayed_fps:5.1f} fps   starting..."]
    else:
        latency = stats.latency_bound_ms(1000 / displayed_fps if displayed_fps > 0 else 0.0)
        level = f"{stats.level}/{full_resolution} px" if full_resolution else f"{stats.level} px"
        lines = [
            f"displayed {displayed_fps:5.1f} fps   rendered {stats.rendered_fps:5.1f} fps   "
            f"generator {stats.render_ms:5.1f} ms",
            f"batch {stats.batch}   level {level}   threads {stats.threads}   "
            f"latency up to ~{latency:4.0f} ms   x{stats.slowdown:.2f} slower than probed",
        ]
    if paused:
        lines.append("PAUSED")
    if note:
        lines.append(note)
    for items in (list(params.items())[:MAX_PARAMETERS], list((inputs or {}).items())):
        for i in range(0, len(items), 4):
            lines.append("   ".join(f"{name} {_format(value)}" for name, value in items[i : i + 4]))
    return lines


def _format(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k} {_format(v)}" for k, v in value.items()) + "}"
    return str(value)


class Hud:
    """Renders HUD lines onto a surface for `Screen.show`'s overlay, at most every REFRESH_S. It
    holds no SDL texture: the screen owns those, so that closing it frees them all."""

    def __init__(self, size: int = 18) -> None:
        import pygame

        pygame.font.init()
        self._font = pygame.font.Font(None, size)
        self._surface = None
        self._lines: list[str] = []
        self._drawn_at = -REFRESH_S

    def surface(self, lines: list[str], now: float):
        """The HUD as a pygame Surface with alpha: the same object until the text changes."""
        if self._surface is not None and (lines == self._lines or now - self._drawn_at < REFRESH_S):
            return self._surface
        import pygame

        rendered = [self._font.render(line, True, (240, 240, 240)) for line in lines]
        width = max(s.get_width() for s in rendered) + 12
        height = sum(s.get_height() + 2 for s in rendered) + 10
        surface = pygame.Surface((width, height), pygame.SRCALPHA)
        surface.fill((0, 0, 0, 150))
        y = 5
        for line in rendered:
            surface.blit(line, (6, y))
            y += line.get_height() + 2
        self._surface, self._lines, self._drawn_at = surface, lines, now
        return surface
