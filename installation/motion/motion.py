"""Latent motion: (show, parameter snapshot, phase) -> ws and noise instructions, batched.

`Motion.evaluate` is pure: the same show, model, snapshot values and phases give the same ws.
Order of operations: path -> style mixing -> truncation -> semantic directions, so that psi
does not shrink a direction's effect and the mixed layers are truncated like the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from installation.errors import UserError
from installation.motion.directions import Directions
from installation.motion.keyframes import load_keyframes
from installation.motion.latents import catmull_rom, ease, layer_slice, lerp, seed_z, slerp, truncate
from installation.motion.noise import NoiseSpec
from installation.motion.paths import keyframe_position, orbit, wander
from installation.motion.space import LatentSpace
from installation.params.builtin import direction_name
from installation.params.bus import Snapshot
from installation.show.sections import Show


@dataclass(frozen=True)
class MotionBatch:
    """`ws` [B, num_ws, w_dim] float32, truncated, mixed and steered: ready for synthesis.
    `pose` [B, 3]: (rotation in degrees, x and y shift in picture sizes) of a StyleGAN3 input."""

    ws: np.ndarray
    noise: NoiseSpec
    pose: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.ws)


class Motion:
    """The motion of one show on one model. Construction reads keyframe files and maps
    keyframes to W (UserError on a mismatch with the model); `evaluate` then needs no I/O."""

    def __init__(self, show: Show, space: LatentSpace, directions: Directions | None = None) -> None:
        self.show = show
        self.space = space
        self.directions = directions
        self.keyframes = load_keyframes(show, space)
        motion = show.motion
        self._check_z()
        self._mix_layers = layer_slice(motion.mix_layers, space.num_ws)
        self._direction_layers = layer_slice(motion.direction_layers, space.num_ws)
        self._first_label = None if self.keyframes.c is None else self.keyframes.c[:1]
        self._mix_w = space.map(seed_z(motion.mix_seed, space.z_dim)[None], self._first_label)[0]

    def _check_z(self) -> None:
        """The show loader checks this too, but a keyframe file may have changed since."""
        motion, has_z = self.show.motion, self.keyframes.has_z
        if motion.path != "keyframes" and not has_z[0]:
            raise UserError(f"{self.show.path}: path = {motion.path} needs a z (or seed) first keyframe")
        if motion.path == "keyframes" and motion.interpolation == "slerp" and not has_z.all():
            raise UserError(f"{self.show.path}: interpolation = slerp needs z (or seed) keyframes only")

    def evaluate(
        self, snapshot: Snapshot, phases: np.ndarray, override: np.ndarray | None = None
    ) -> MotionBatch:
        """ws and noise for frames at motion `phases` [B] (from a MotionClock). `override`: a w
        [w_dim] sent from outside (OSC's latent) that takes the place of the motion path, blended
        by the `latent_mix` parameter where the show declares one; mixing, truncation and
        directions still apply to it."""
        phases = np.atleast_1d(np.asarray(phases, dtype=np.float64))
        motion, space = self.show.motion, self.space
        ws = self._path(snapshot, phases)
        if override is not None:
            amount = float(snapshot.get("latent_mix", 1.0))
            ws = lerp(ws, np.broadcast_to(override, ws.shape), np.full(len(ws), amount))
        amount = float(snapshot["mix_amount"])
        if amount > 0:
            mixed = self._mix(phases)[:, self._mix_layers]
            ws[:, self._mix_layers] = lerp(ws[:, self._mix_layers], mixed, np.full(len(ws), amount))
        ws = truncate(ws, space.w_avg, float(snapshot["psi"]), int(snapshot["cutoff"]))
        if self.directions is not None:
            amounts = [float(snapshot[direction_name(i)]) for i in range(len(self.directions))]
            ws[:, self._direction_layers] += self.directions.offset(amounts, motion.direction_scale)
        noise_phase = np.mod(phases * motion.noise_cycles, 1.0)
        noise = NoiseSpec(motion.noise, float(snapshot["noise_strength"]), noise_phase)
        return MotionBatch(ws, noise, self._pose(snapshot, phases))

    def _pose(self, snapshot: Snapshot, phases: np.ndarray) -> np.ndarray | None:
        """The parameters' rotation and shift plus the motion's spin, orbit and drift; None when all
        are zero (so a StyleGAN2 show, or one that does not move its input, costs nothing)."""
        motion = self.show.motion
        angle = 2 * np.pi * motion.orbit_cycles * phases
        pose = np.stack(
            [
                float(snapshot["rotate"]) + 360.0 * motion.spin * phases,
                float(snapshot["translate_x"]) + motion.orbit * np.cos(angle) + motion.drift[0] * phases,
                float(snapshot["translate_y"]) + motion.orbit * np.sin(angle) + motion.drift[1] * phases,
            ],
            axis=1,
        )
        return pose if pose.any() else None

    def _broadcast(self, w: np.ndarray) -> np.ndarray:
        """w [B, w_dim] -> ws [B, num_ws, w_dim] (a copy, so it can be edited in place)."""
        return np.repeat(w[:, None], self.space.num_ws, axis=1)

    def _labels(self, count: int) -> np.ndarray | None:
        return None if self._first_label is None else np.repeat(self._first_label, count, axis=0)

    def _path(self, snapshot: Snapshot, phases: np.ndarray) -> np.ndarray:
        motion, keys = self.show.motion, self.keyframes
        if motion.path == "keyframes":
            i, f = keyframe_position(phases, len(keys))
            f = ease(f, motion.easing)
            j = (i + 1) % len(keys)
            if motion.interpolation == "slerp":
                c = None if keys.c is None else lerp(keys.c[i], keys.c[j], f)
                return self._broadcast(self.space.map(slerp(keys.z[i], keys.z[j], f), c))
            if motion.interpolation == "lerp":
                return lerp(keys.w[i], keys.w[j], f)
            return catmull_rom(keys.w[i - 1], keys.w[i], keys.w[j], keys.w[(i + 2) % len(keys)], f)
        seed, center = int(snapshot["seed"]), keys.z[0]
        if motion.path == "loop":
            offsets = orbit(phases, center, seed)
        else:
            offsets = wander(phases, center.shape[-1], seed)
        z = center + float(snapshot["radius"]) * offsets
        return self._broadcast(self.space.map(z, self._labels(len(phases))))

    def _mix(self, phases: np.ndarray) -> np.ndarray:
        """The second latent source for style mixing, [B, num_ws, w_dim]."""
        if self.show.motion.mix_source == "seed":
            return self._broadcast(np.repeat(self._mix_w[None], len(phases), axis=0))
        z = wander(phases, self.space.z_dim, self.show.motion.mix_seed)
        return self._broadcast(self.space.map(z, self._labels(len(phases))))
