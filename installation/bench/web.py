"""`run.py bench --web`: what the web control page costs the live loop.

The loop plays a show with its page served (as `run.py play` serves it) in alternating phases:
no page open, then a page open over a real WebSocket client that takes the live preview and
keeps the explorer busy rendering thumbnails (a new grid of seeds as soon as one is done). The
rendered and displayed frame rates of the two are compared side by side, and the CPU time of
the page's threads (server, preview encoder, explorer) is counted. Headless on SDL's dummy
driver when there is no display.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from installation.bench.timing import bench_show, write_json

SHOW = bench_show(
    "web bench",
    "enabled = false",
    """
[web]
enabled = true
port = 0
""",
)
GRID = 12


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--web", action="store_true", help="measure the web page's cost to the live loop (preview, explorer)"
    )
    parser.add_argument(
        "--web-seconds", type=float, default=10.0, help="seconds per --web phase (default 10)"
    )
    parser.add_argument("--web-settle", type=float, default=10.0, help="seconds played before measuring")
    parser.add_argument("--web-rounds", type=int, default=3, help="rounds of no page / page open (default 3)")


class PageClient:
    """A page over a real WebSocket: it asks for the preview and one grid of thumbnails after
    another, counting what arrives."""

    def __init__(self, address: tuple[str, int], first_seed: int, width: int = 512) -> None:
        self.url = "http://{}:{}/ws".format(*address)
        self.width, self.first_seed = width, first_seed
        self.pictures = self.thumbnails = self.messages = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._run()), name="bench-page", daemon=True
        )

    def __enter__(self) -> "PageClient":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    async def _run(self) -> None:
        import aiohttp

        first = self.first_seed  # seeds not rendered before: none come from the cache
        async with aiohttp.ClientSession() as session, session.ws_connect(self.url) as ws:
            await ws.send_str(json.dumps({"type": "hello", "width": self.width}))
            waiting = 0
            while not self._stop.is_set():
                if waiting == 0:  # the last grid is complete: ask for the next one
                    await ws.send_str(json.dumps({"type": "explore", "first": first, "count": GRID}))
                    first, waiting = first + GRID, GRID
                try:
                    message = await asyncio.wait_for(ws.receive(), 0.2)
                except TimeoutError:
                    continue
                if message.type == aiohttp.WSMsgType.BINARY:
                    if message.data[0] == 1:
                        self.pictures += 1
                    else:
                        self.thumbnails += 1
                        waiting -= 1
                elif message.type == aiohttp.WSMsgType.TEXT:
                    self.messages += 1
                else:
                    return


def run(args: argparse.Namespace) -> int:
    import torch

    from installation.bench.control import thread_cpu_seconds
    from installation.bench.timing import print_table
    from installation.display import Presenter, Screen, init_video
    from installation.errors import UserError
    from installation.live import ControlsStarter, LiveShow
    from installation.show.loader import load_show
    from installation.timing import machine_description

    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    with tempfile.TemporaryDirectory() as folder:
        model = args.model if args.model == "default" else str(Path(args.model).resolve())
        path = Path(folder) / "bench.toml"
        path.write_text(SHOW.format(model=model), encoding="utf-8")
        show = load_show(path)
        init_video()
        screen = Screen(fullscreen=False, size=(640, 360), mode="fit", vsync=False)
        starter = ControlsStarter()
        device = None if args.device == "auto" else args.device
        live = LiveShow(show, port=starter, device=device, backend=args.loop_backend).start()
        presenter = Presenter(screen, live, allow_quit=False)
        starter.start(live, lambda: presenter.displayed_fps)
        try:
            live.wait_until_loaded()
            while live.error is None and (starter.web is None or not live.engine.ready.is_set()):
                presenter.run(seconds=0.1)
            if live.error is not None:
                raise live.error
            if starter.web is None:
                raise UserError(f"the web page did not start: {live.note}")
            presenter.run(seconds=args.web_settle)
            web = starter.web
            threads = web.thread_ids()

            def phase(client: PageClient | None) -> dict[str, Any]:
                stats, shown, start = live.engine.stats, presenter.presented.count, time.monotonic()
                cpu = {name: thread_cpu_seconds(tid) for name, tid in threads.items()}
                presenter.run(seconds=args.web_seconds)
                elapsed, end = time.monotonic() - start, live.engine.stats
                result = {
                    "displayed_fps": (presenter.presented.count - shown) / elapsed,
                    "rendered_fps": (end.frames - stats.frames) / elapsed,
                    "level": end.level,
                    "thread_cpu_share": {
                        name: (thread_cpu_seconds(tid) - cpu[name]) / elapsed for name, tid in threads.items()
                    },
                }
                if client is not None:
                    result["previews_per_s"] = client.pictures / elapsed
                    result["thumbnails_per_s"] = client.thumbnails / elapsed
                return result

            # Closed and open alternate, so a trend (another process) weighs on both alike.
            closed, opened = [], []
            for round_index in range(args.web_rounds):
                closed.append(phase(None))
                with PageClient(web.server.address, 100_000 * round_index) as client:
                    opened.append(phase(client))
        finally:
            starter.stop()
            live.stop()
            screen.close()
    result = {
        "page_closed": closed,
        "page_open": opened,
        "slowdown": 1 - _mean(opened, "rendered_fps") / max(_mean(closed, "rendered_fps"), 1e-9),
        "explorer_share": show.web.explorer_share,
        "preview_fps": show.web.preview_fps,
        "machine": machine_description(
            live.renderer.backend.device if live.renderer else torch.device("cpu")
        ),
        "cpus": os.cpu_count(),
    }
    _print(result, print_table)
    write_json(result, args.json)
    return 0


def _mean(phases: list[dict[str, Any]], key: str) -> float:
    return sum(p[key] for p in phases) / len(phases)


def _print(r: dict[str, Any], print_table: Callable) -> None:
    rows = []
    for i, (closed, opened) in enumerate(zip(r["page_closed"], r["page_open"], strict=True), start=1):
        rows.append(
            [f"rendered fps (round {i})", f"{closed['rendered_fps']:.1f}", f"{opened['rendered_fps']:.1f}"]
        )
        rows.append(
            [f"displayed fps (round {i})", f"{closed['displayed_fps']:.1f}", f"{opened['displayed_fps']:.1f}"]
        )
        rows.append(
            [
                f"preview pictures / thumbnails per s (round {i})",
                "",
                (f"{opened['previews_per_s']:.1f} / {opened['thumbnails_per_s']:.2f}"),
            ]
        )
        for name, share in opened["thread_cpu_share"].items():
            rows.append([f"{name} thread, share of one core (round {i})", "", f"{100 * share:.1f} %"])
    rows.append(["rendered fps lost with the page open", "", f"{100 * r['slowdown']:.1f} %"])
    print_table(["live loop", "no page", "page open"], rows)
