"""Safe configurations, in steps, for a renderer that keeps crashing.

Step 0 plays the show as written. Each further step keeps the ones before it: the embedded
default model (a checkpoint that breaks the renderer), a lower resolution (a GPU out of memory or
a machine too slow to keep up), then the CPU (a CUDA driver that keeps failing). Steps that would
change nothing for this show are skipped, so each restart at a new step tries something new.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from installation.show.gallery_sections import GallerySettings
from installation.show.sections import DEFAULT_MODEL, Show


def _default_model(show: Show, gallery: GallerySettings) -> Show:
    return dataclasses.replace(show, model=dataclasses.replace(show.model, path=DEFAULT_MODEL))


def limit_resolution(show: Show, resolution: int) -> Show:
    """`show` rendering no finer than `resolution` (0 or a finer show limit leave it as it is)."""
    current = show.render.max_resolution
    if not resolution or (current and current <= resolution):
        return show
    return dataclasses.replace(show, render=dataclasses.replace(show.render, max_resolution=resolution))


def _lower_resolution(show: Show, gallery: GallerySettings) -> Show:
    return limit_resolution(show, gallery.safe_resolution)


def _cpu(show: Show, gallery: GallerySettings) -> Show:
    return dataclasses.replace(show, render=dataclasses.replace(show.render, device="cpu"))


STEPS: tuple[tuple[str, Callable[[Show, GallerySettings], Show]], ...] = (
    ("embedded default model", _default_model),
    ("lower resolution", _lower_resolution),
    ("CPU", _cpu),
)


def configuration(show: Show, gallery: GallerySettings, level: int) -> Show:
    """The show as played at fallback `level` (0: unchanged; each level adds one more step)."""
    for _, step in STEPS[:level]:
        show = step(show, gallery)
    return show


def next_level(show: Show, gallery: GallerySettings, level: int, on_cpu: bool = False) -> int:
    """The next level that changes how the show is played, or `level` if none is left.

    `on_cpu`: the renderer already ran on the CPU, so the CPU step would change nothing.
    """
    current = configuration(show, gallery, level)
    for candidate in range(level + 1, len(STEPS) + 1):
        if on_cpu and STEPS[candidate - 1][1] is _cpu:
            continue
        if configuration(show, gallery, candidate) != current:
            return candidate
    return level


def describe(level: int) -> str:
    return "as the show says" if level == 0 else " + ".join(name for name, _ in STEPS[:level])
