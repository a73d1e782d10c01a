"""A render job: everything the frames of an offline render depend on, small enough to send to
every worker, and the renderer that turns any of its chunks into pictures or an H.264 file."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from installation.audio.offline import Song
from installation.farm.chunks import ChunkFiles
from installation.show.sections import Show
from installation.sinks.base import Sink
from installation.sinks.progress import Progress
from installation.tiles import TileChoice


@dataclass(frozen=True)
class RenderJob:
    """Frame k is the show at times[k]. `size`: the video's (width, height), None for the size
    rendered. `threads`: the CPU thread count, fixed because it changes the arithmetic's last
    bits. `song`: the music video's song, which drives the show's audio mappings. `tile`: one
    tile of the show's canvas (installation/tiles.py) instead of all of it."""

    show: Show
    times: tuple[float, ...]
    fps: float
    size: tuple[int, int] | None = None
    device: str | None = None
    precision: str | None = None
    backend: str = "auto"
    threads: int = 1
    song: Song | None = None
    tile: TileChoice | None = None


@dataclass(frozen=True)
class Settings:
    """What a loaded job renders with: two renderers with equal settings give equal frames."""

    backend: str
    device: str
    batch: int
    size: tuple[int, int]
    threads: int


class JobRenderer:
    """The job's model, loaded once, rendering chunks of its frames in any order. A chunk
    continues the latent source from where the last one ended when it can, else replays it
    from frame 0 (no rendering: only the motion clock and the song's envelopes move)."""

    def __init__(self, job: RenderJob) -> None:
        import torch

        from installation.live import load_renderer
        from installation.model.canvas import canvas_pixels

        self.job = job
        renderer = load_renderer(job.show, job.device, job.precision, job.backend, job.tile)
        self.G, self.backend = renderer.G, renderer.backend
        stop_res = job.show.render.max_resolution or None
        if stop_res is not None and stop_res not in self.backend.resolutions:
            stop_res = max([r for r in self.backend.resolutions if r <= stop_res], default=None)
        self.stop_res = stop_res
        cuda = self.backend.device.type == "cuda"
        batch = job.show.render.batch
        self.batch = int(batch) if batch != "auto" else (8 if cuda else 1)
        self.backend.prepare(stop_res, self.batch)  # a compiled backend builds first: full speed from frame 0
        if not cuda:
            torch.set_num_threads(job.threads)
        self._source = self._new_source()  # with the job's threads: they change the last bits
        self._next = 0  # the frame the source is at
        if self._source.bend_layouts:  # and the graph its bent frames take
            self.backend.prepare(stop_res, self.batch, self._source.bend_layouts)
        if self._source.morph is not None:  # and the one its morphing frames take
            self.backend.prepare(stop_res, self.batch, (), self._source.morph)
        self.size = job.size or canvas_pixels(self.G, stop_res)

    @property
    def settings(self) -> Settings:
        device = self.backend.device.type
        return Settings(self.backend.name, device, self.batch, self.size, self.job.threads)

    def render(self, frames: range, sinks: Sequence[Sink], progress: Progress | None = None) -> None:
        """The frames `frames` (a range starting on a whole batch) to every sink."""
        from installation.sinks.offline import advance_source, render_offline

        times = self.job.times
        if frames.start < self._next:
            self._source, self._next = self._new_source(), 0
        advance_source(self._source, times[self._next : frames.start], self.batch)
        show = self.job.show
        render_offline(
            self.backend,
            self._source,
            times[frames.start : frames.stop],
            sinks,
            stop_res=self.stop_res,
            size=self.size,
            mode=show.display.fit,
            background=show.display.background,
            batch=self.batch,
            progress=progress,
        )
        self._next = frames.stop

    def encode(self, frames: range, extra: Sequence[Sink] = ()) -> bytes:
        """The frames `frames` as one chunk's mp4 file (see farm/chunks.py)."""
        with tempfile.TemporaryDirectory(prefix="installation-chunk-") as folder:
            chunk = ChunkFiles(Path(folder), self.job.fps, self.size, [range(len(frames))])
            try:
                self.render(frames, [chunk, *extra])
            finally:
                chunk.close()
            return chunk.paths[0].read_bytes()

    def _new_source(self):
        from installation.motion.source import ShowSource
        from installation.params.bus import ParameterBus

        if self.job.song is not None:
            from installation.audio.song_source import SongSource

            return SongSource(self.job.show, self.G, self.job.song)
        # the show's defaults, no live input
        return ShowSource(self.job.show, self.G, ParameterBus(self.job.show.parameters, clock=lambda: 0.0))
