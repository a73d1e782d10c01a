"""The live engine: frames scheduled at presentation times, rendered ahead in batches.

- `Engine` (engine.py): the producer thread, `pair_at(t)` for the display, swaps on reload
- `ShowClock` (clock.py): show time, pausable
- `LatentSource`, `Latents` (latents.py): what the engine renders from
- `Frame`, `FramePair`, `pair_at`, `blend` (frames.py): frames and in-between cross-fades
"""

from installation.engine.clock import ShowClock
from installation.engine.engine import Engine, EngineSettings, EngineStats
from installation.engine.frames import Frame, FramePair, blend, pair_at
from installation.engine.latents import Latents, LatentSource

__all__ = [
    "Engine",
    "EngineSettings",
    "EngineStats",
    "Frame",
    "FramePair",
    "LatentSource",
    "Latents",
    "ShowClock",
    "blend",
    "pair_at",
]
