"""Latent motion: (show, parameter snapshot, phase) -> ws and noise, deterministic for the same
show, parameter writes and clock. `Motion.evaluate` is pure; `MotionClock` holds the phase (and
resolves relative keyframe steps from it); `source.ShowSource` is the wiring the engine renders
from. By hand, per show and model:

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
