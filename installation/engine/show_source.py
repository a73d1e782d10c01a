"""The engine's latent source for a show: parameters from the bus, latents from the show's motion."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

from installation.control.latent import LatentOverride
from installation.engine.latents import Latents
from installation.model.stylegan3 import input_transforms, is_stylegan3
from installation.motion import LatentSpace, Motion, MotionClock, NoiseLoop, directions_for
from installation.params.bus import ParameterBus, Snapshot
from installation.show.sections import Show


class ShowSource:
    """Latents of `show` on generator G. A batch reads one parameter snapshot, at its first
    frame's time, and evaluates the motion at all its times. Construction maps the keyframes
    (and computes semantic directions) on G: do it off the render loop."""

    def __init__(self, show: Show, G, bus: ParameterBus, override: LatentOverride | None = None) -> None:
        space = LatentSpace.from_generator(G)
        self.show = show
        self.override = override  # a z from outside (OSC's /installation/latent), or None
        self._override_w: tuple[int, np.ndarray | None] = (0, None)  # (count, w) last mapped
        self.motion = Motion(show, space, directions_for(show, G, space))
        self._clock = MotionClock(show.motion, len(self.motion.keyframes))
        self._noise = NoiseLoop.for_generator(G) if show.motion.noise == "loop" else None
        self._bus = bus
        self._device = G.mapping.w_avg.device
        self._defaults = {spec.name: spec.default for spec in show.parameters}
        self._moves_input = is_stylegan3(G)  # rotate / translate / spin / orbit / drift

    def version(self) -> int:
        """Parameter writes (and latent overrides) so far: any may change the picture from now on."""
        overrides = self.override.get()[1] if self.override is not None else 0
        return sum(self._bus.snapshot().counts.values()) + overrides

    def _override(self) -> np.ndarray | None:
        """The override's w, mapped once per new z (the mapping network is not free)."""
        if self.override is None:
            return None
        z, count = self.override.get()
        if count != self._override_w[0]:
            space = self.motion.space
            w = (
                None
                if z is None
                else space.map(np.array(z[None]), space.labels([self.show.model.class_label or 0]))[0]
            )
            self._override_w = (count, w)
        return self._override_w[1]

    def snapshot(self, t: float) -> Snapshot:
        """The bus at `t`, with this show's defaults for names the bus lacks: on a reload the
        bus and the source change at slightly different moments."""
        snap = self._bus.snapshot(t)
        if self._defaults.keys() <= snap.values.keys():
            return snap
        return Snapshot(snap.t, {**self._defaults, **snap.values}, snap.counts)

    def keyframe_index(self) -> int:
        """The keyframe the motion last rendered is at or after (for previous / next)."""
        count = len(self.motion.keyframes)
        return int(math.floor((self._clock.phase % 1.0) * count)) % count

    def latents(self, times: Sequence[float]) -> Latents:
        snap = self.snapshot(times[0])
        batch = self.motion.evaluate(snap, self._clock.phases(snap, times), self._override())
        ws = torch.from_numpy(batch.ws).to(self._device)
        transform = None
        if batch.pose is not None and self._moves_input:
            transform = torch.from_numpy(input_transforms(batch.pose)).to(self._device, torch.float32)
        spec = batch.noise
        if spec.mode == "loop":
            return Latents(ws, spec.strength, "const", self._noise.at(spec.phase), transform)
        return Latents(ws, spec.strength, spec.mode, transform=transform)
