"""A show's latent source for the engine: parameters from the bus, latents from the show's motion.

Deterministic for the same show, parameter writes and clock: everything a controller sends
(values, keyframe steps, a z) comes in through the bus snapshot a batch reads."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from installation.engine.latents import Latents
from installation.errors import UserError
from installation.model.bends import BendLayout, BendPlan, layer_names
from installation.model.channel_clusters import any_clusters, channel_clusters
from installation.model.layer_view import LayerView
from installation.model.mixing import ModelMorph, parse_layers
from installation.model.stylegan3 import input_transforms, is_stylegan3
from installation.motion.clock import MotionClock
from installation.motion.directions import directions_for
from installation.motion.motion import Motion
from installation.motion.noise import NoiseLoop
from installation.motion.space import LatentSpace
from installation.params.builtin import LATENT
from installation.params.bus import ParameterBus, Snapshot
from installation.show.sections import Show

log = logging.getLogger(__name__)


class ShowSource:
    """Latents of `show` on generator G. A batch reads one parameter snapshot, at its first
    frame's time, and evaluates the motion at all its times. Construction maps the keyframes
    (and computes semantic directions) on G: do it off the render loop."""

    def __init__(self, show: Show, G, bus: ParameterBus) -> None:
        space = LatentSpace.from_generator(G)
        self.show = show
        self._override_w: tuple[int, np.ndarray | None] = (0, None)  # (count, w) last mapped
        self.motion = Motion(show, space, directions_for(show, G, space))
        self._clock = MotionClock(show.motion, len(self.motion.keyframes))
        self._noise = NoiseLoop.for_generator(G) if show.motion.noise == "loop" else None
        self._bus = bus
        self._device = G.mapping.w_avg.device
        self._defaults = {spec.name: spec.default for spec in show.parameters}
        self._moves_input = is_stylegan3(G)  # rotate / translate / spin / orbit / drift
        if self._moves_input and (show.bends or show.model.mix_with):
            raise UserError("[[bends]] and model.mix_with work on StyleGAN2 models; this one is StyleGAN3")
        # The layer view and bends reach StyleGAN2's layers; a StyleGAN3 model has none of them.
        self._layers = [] if self._moves_input else layer_names(G)
        self._bends = BendPlan(show.bends, G, channel_clusters(G) if any_clusters(show.bends) else None)
        self._morph = _morph_for(show, G)

    def version(self) -> int:
        """Writes to the bus so far (a z sent included): any may change the picture from now on."""
        return sum(self._bus.snapshot().counts.values())

    @property
    def bend_layouts(self) -> tuple[BendLayout, ...]:
        """The show's bend declaration as a graph fixes it (what `Backend.prepare` builds for)."""
        return self._bends.layouts

    @property
    def morph(self) -> ModelMorph | None:
        """The morph towards the show's second model (what `Backend.prepare` builds for), if any."""
        return self._morph

    @property
    def motion_clock(self) -> MotionClock:
        """Where the motion is (see installation/sync: a leader shares it with its followers)."""
        return self._clock

    def _override(self, snap: Snapshot) -> np.ndarray | None:
        """The w of the z sent from outside (OSC's /latent), mapped once per new z (the mapping
        network is not free); None while none is set."""
        z, count = snap.vector(LATENT), snap.count(LATENT)
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
        values = {**self._defaults, **snap.values}
        return Snapshot(snap.t, values, snap.counts, snap.steps, snap.vectors, snap.glides)

    def latents(self, times: Sequence[float]) -> Latents:
        snap = self.snapshot(times[0])
        batch = self.motion.evaluate(snap, self._clock.phases(snap, times), self._override(snap))
        ws = torch.from_numpy(batch.ws).to(self._device)
        transform = None
        if batch.pose is not None and self._moves_input:
            transform = torch.from_numpy(input_transforms(batch.pose)).to(self._device, torch.float32)
        spec = batch.noise
        taking = dict(bend=self._bends.hook(snap.values), view=self._view(snap), mix=self._mix(snap))
        if spec.mode == "loop":
            return Latents(ws, spec.strength, "const", self._noise.at(spec.phase), transform, **taking)
        return Latents(ws, spec.strength, spec.mode, transform=transform, **taking)

    def _mix(self, snap: Snapshot) -> tuple[ModelMorph, float] | None:
        amount = float(snap["model_mix"])
        return None if self._morph is None or amount == 0 else (self._morph, amount)

    def _view(self, snap: Snapshot) -> LayerView | None:
        """The layer the layer_view parameter shows (counting from 1, wrapping), or None."""
        index = int(snap["layer_view"])
        if not index or not self._layers:
            return None
        settings = self.show.layer_view
        layer = self._layers[(index - 1) % len(self._layers)]
        return LayerView(layer, settings.mode, int(snap["layer_view_channel"]), settings.tiles)


def _morph_for(show: Show, G) -> ModelMorph | None:
    """The morph towards the show's second model; None without one, or when it holds the same
    weights (so the morph can change no pixel)."""
    if show.model.mix_with is None:
        return None
    from installation.model.loading import load_model

    other = load_model(str(show.model.mix_with), G.mapping.w_avg.device)
    morph = ModelMorph(G, other, parse_layers(show.model.mix_layers), b_name=Path(show.model.mix_with).name)
    if morph.identical:
        log.info("%s holds the same weights as the model: model_mix changes nothing", show.model.mix_with)
        return None
    return morph
