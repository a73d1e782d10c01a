"""Seed thumbnails for the page's explorer, rendered off the live path.

One thread at a low CPU priority (nice 10: the kernel's scheduler then gives it about a tenth
of what a normal thread gets when they compete), with one torch thread of its own, renders one
small picture at a time straight from the generator (not through the show's backend, whose
compiled or graph-captured calls belong to the engine's thread), at the smallest block at least
the thumbnail's size. After each it rests long enough that rendering takes at most `share` of
one core (counted in the thread's CPU time), so the show keeps its frame rate. The newest
request replaces the seeds still waiting.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import cv2
import numpy as np

from installation.web.worker import Worker

log = logging.getLogger(__name__)

CACHED = 512  # thumbnails kept per model and psi
NICE = 10


def thumbnail_resolution(G: Any, size: int) -> int | None:
    """The block to stop synthesis at: the smallest at least `size`, for a 'skip' model."""
    config = G.config
    if config.architecture != "skip":
        return None
    return next((r for r in config.block_resolutions if r >= size), None)


class Explorer(Worker):
    """`generator()`: the model rendering now (None while loading); `psi()`: the truncation to
    draw with; `on_thumbnail(seed, jpeg)` runs on the explorer's thread."""

    def __init__(
        self,
        generator: Callable[[], Any],
        psi: Callable[[], float],
        on_thumbnail: Callable[[int, bytes], None],
        *,
        size: int = 64,
        share: float = 0.1,
        class_label: int | None = None,
    ) -> None:
        super().__init__("web-explorer")
        self.size, self.share, self.rendered = size, share, 0
        self.busy_s = 0.0  # CPU time spent rendering
        self._generator, self._psi, self._on_thumbnail = generator, psi, on_thumbnail
        self._class_label = class_label or 0
        self._waiting: list[int] = []
        self._cache: OrderedDict[tuple, bytes] = OrderedDict()

    def request(self, seeds: list[int]) -> None:
        """Thumbnails of `seeds`, cached ones at once, the others as they are rendered."""
        waiting, ready = [], []
        with self._wake:
            for seed in seeds:
                cached = self._cache.get(self._key(seed))
                if cached is None:
                    waiting.append(seed)
                else:
                    ready.append((seed, cached))
            self._waiting = waiting
            self._wake.notify()
        for seed, jpeg in ready:
            self._on_thumbnail(seed, jpeg)

    def _key(self, seed: int) -> tuple:
        return (id(self._generator()), round(float(self._psi()), 2), seed)

    def _run(self) -> None:
        import torch

        torch.set_num_threads(1)  # this thread's own: the engine's threads keep theirs
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICE)
        except (AttributeError, OSError):  # not Linux: plain priority, the rests still bound it
            pass
        while True:
            with self._wake:
                if not self._wait_for(lambda: bool(self._waiting)):
                    return
                seed = self._waiting.pop(0)
            G = self._generator()
            if G is None:
                continue
            started = time.thread_time()  # CPU time: what the show would have had
            try:
                jpeg = self.render(G, seed)
            except Exception:  # noqa: BLE001 - a thumbnail failing must not end the explorer
                log.exception("explorer thumbnail of seed %d failed", seed)
                continue
            spent = time.thread_time() - started
            self.busy_s += spent
            self.rendered += 1
            with self._wake:
                self._cache[self._key(seed)] = jpeg
                while len(self._cache) > CACHED:
                    self._cache.popitem(last=False)
            self._on_thumbnail(seed, jpeg)
            with self._wake:  # rest, so rendering stays within its share
                self._wake.wait_for(lambda: self._stopped, spent * (1 - self.share) / self.share)

    def render(self, G: Any, seed: int) -> bytes:
        """One thumbnail: the seed's z as motion draws it, truncated by psi, as a JPEG."""
        import torch

        from installation.model.imaging import to_uint8
        from installation.motion.latents import seed_z

        device = G.mapping.w_avg.device
        config = G.config
        z = torch.from_numpy(seed_z(seed, config.z_dim)[None]).to(device)
        c = None
        if config.c_dim:
            c = torch.zeros(1, config.c_dim, device=device)
            c[0, min(self._class_label, config.c_dim - 1)] = 1
        with torch.inference_mode():
            ws = G.mapping(z, c, truncation_psi=float(self._psi()))
            image = G.synthesis(ws, noise_mode="const", stop_res=thumbnail_resolution(G, self.size))
        pixels = to_uint8(image)[0]
        return encode_thumbnail(pixels, self.size)


def encode_thumbnail(pixels: np.ndarray, size: int) -> bytes:
    bgr = cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR)
    if bgr.shape[0] != size:
        bgr = cv2.resize(bgr, (size, size), interpolation=cv2.INTER_AREA)
    return cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 80])[1].tobytes()
