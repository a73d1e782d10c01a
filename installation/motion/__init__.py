"""Latent motion: a pure function of (show, parameter snapshot, phase) -> ws and noise.

Wiring, per show and model:

    space = LatentSpace.from_generator(G)
    motion = Motion(show, space, directions_for(show, G, space))
    clock = MotionClock(show.motion, len(motion.keyframes))
    # per batch of frame times:
    snap = bus.snapshot(times[0])
    batch = motion.evaluate(snap, clock.phases(snap, times))   # batch.ws, batch.noise
"""

from installation.motion.clock import MotionClock
from installation.motion.directions import Directions, directions_for
from installation.motion.motion import Motion, MotionBatch
from installation.motion.noise import NoiseLoop, NoiseSpec
from installation.motion.space import LatentSpace

__all__ = [
    "Directions",
    "LatentSpace",
    "Motion",
    "MotionBatch",
    "MotionClock",
    "NoiseLoop",
    "NoiseSpec",
    "directions_for",
]
