"""One machine of a synced show, as its own process for the tests: `python -m tests.sync.node
SHOW --lead HOST:PORT,... | --follow PORT [--health PORT] [--tile C,R --tiles N,M]`. It plays
the show in the engine without a window (serving /health as `run.py play --health` does) and
answers one JSON line per command line on stdin:

- `state [T]`: show time, paused, when synced, the bus's values (at show time T: default now),
  the HUD's note;
- `set NAME VALUE`: a write on this machine's bus (as OSC would write it);
- `frames OUT.npy T1 T2 ...`: the full-resolution pictures (a tile's own, for a tile) at those
  show times, rendered the way the engine renders them, saved to OUT.npy;
- `quit`."""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

from installation.tiles import add_tile_arguments, tile_choice


def render_at(live, times: list[float]) -> np.ndarray:
    import torch

    from installation.engine.latents import render_latents
    from installation.model.imaging import to_uint8

    G, backend = live.renderer.G, live.renderer.backend
    with torch.inference_mode():
        latents = live.source.latents(times).for_level(G, G.img_resolution)
        return to_uint8(render_latents(backend, latents, G.img_resolution))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("show")
    parser.add_argument("--lead", default=None)
    parser.add_argument("--follow", default=None)
    parser.add_argument("--health", default=None)
    add_tile_arguments(parser)
    args = parser.parse_args()

    from installation.live import LiveShow
    from installation.play_health import PlayHealth
    from installation.show.loader import load_show
    from installation.sync.session import SyncSession

    live = LiveShow(load_show(args.show), backend="torch", tile=tile_choice(args)).start()
    sync = SyncSession(args.lead, args.follow)
    sync.setup(live)
    health = PlayHealth(args.health, sync) if args.health else None
    if health is not None:
        health.attach(live, lambda: 0.0)  # no screen here: nothing displayed
    live.wait_until_loaded()
    loaded_at = time.monotonic()
    print(json.dumps({"loaded": live.error is None}), flush=True)
    for line in sys.stdin:
        command, *words = line.split()
        if command == "state":
            follower = sync.role if sync.follows else None
            synced_at = getattr(follower, "synced_at", None)
            answer = {
                "now": live.clock.now(),
                "paused": live.clock.paused,
                "synced_after_s": None if synced_at is None else synced_at - loaded_at,
                "values": dict(live.bus.snapshot(float(words[0]) if words else None).values),
                "note": live.note,
            }
        elif command == "set":
            answer = {"taken": live.bus.set(words[0], float(words[1]), source="osc")}
        elif command == "frames":
            np.save(words[0], render_at(live, [float(t) for t in words[1:]]))
            answer = {"saved": words[0]}
        else:
            break
        print(json.dumps(answer), flush=True)
    sync.stop()
    if health is not None:
        health.close()
    live.stop()


if __name__ == "__main__":
    main()
