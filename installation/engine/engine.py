"""The producer: renders frames ahead of the screen, each for its presentation time.

Every frame is scheduled for a show time t and rendered from the source's latents at t, so
motion runs at the speed of the clock, whatever the render speed. A thread renders batches of
B frames in one `Backend.render` call, converts them to uint8 on the device into reused
buffers, and publishes them to a bounded ring the display reads from (`pair_at`).

Control latency. Before each batch the source's version is read. A new version (a parameter
was written, the show reloaded) retires every look-ahead frame rendered from older inputs at
or after now + lead, and the next batch is scheduled from now + lead, where lead = 1.25 x the
predicted batch time + one display frame: it is rendered just in time, not earlier. Frames
before now + lead stay and bridge the gap, so the picture never freezes. A change therefore
reaches the screen after at most: the rest of the batch in flight, plus lead, plus one display
frame. The batch size is capped so that this stays within `latency_ms`.

When rendering is too slow for the frame budget, the planner renders at an earlier synthesis
block (a lower level), and the display cross-fades between the two frames around each screen
refresh (`frames.pair_at`), so the screen still updates at its own rate.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

from installation.backends.base import Backend
from installation.engine.clock import ShowClock
from installation.engine.convert import FrameConverter
from installation.engine.frames import Frame, FramePair
from installation.engine.latents import Latents, LatentSource, render_latents
from installation.engine.planner import Costs, Planner
from installation.engine.probe import level_ms, measure_costs, pick_threads, timing_twin
from installation.engine.resample import scales_on_device
from installation.engine.ring import FrameRing
from installation.engine.schedule import next_times
from installation.model.canvas import canvas_pixels

if TYPE_CHECKING:
    from installation.display.scaling import ScreenScale

log = logging.getLogger(__name__)

LEAD_MARGIN = 1.25  # the lead is this many predicted batch times (plus a display frame)
RETHREAD_SLOWDOWN = 2.0  # renders this much slower than probed: try the CPU thread count again
RETHREAD_WAIT_S = (20.0, 300.0)  # ... first after this, doubling while the count stays (each probe
# costs a few renders, during which the screen cross-fades the frames it has)
RETIME_CHECK_S = 0.5  # how often the producer asks the backend which levels' graphs are built
RETIME_MAX_BUDGETS = 8.0  # ... of levels predicted within this many frame budgets
IDLE_POLL_S = 0.002  # how often an idle producer looks for a new version: part of the latency
FPS_WINDOW_S = 2.0


@dataclass(frozen=True)
class EngineSettings:
    frame_budget_ms: float = 40.0  # render time allowed per frame; levels adapt to it
    latency_ms: float = 250.0  # bound on parameter-change latency: caps the batch size
    batch: int | None = None  # a fixed look-ahead batch; None adapts
    max_batch: int = 16
    max_resolution: int | None = None
    min_resolution: int = 32  # adaptive resolution never goes below this block
    display_fps: float = 60.0
    blend: bool = True
    cuda_graphs: bool = False
    threads: int | None = None  # CPU threads for rendering; None: probed at start (with the costs)

    @property
    def batch_budget_ms(self) -> float:
        """Longest batch render that keeps the latency bound (see the module docstring)."""
        frame = 1000.0 / self.display_fps
        return max(1.0, (self.latency_ms - 2 * frame) / (1 + LEAD_MARGIN))

    def latency_with(self, batch_ms: float) -> float:
        """The bound on a change's latency when a batch takes `batch_ms` (`batch_budget_ms` inverted)."""
        return batch_ms * (1 + LEAD_MARGIN) + 2000.0 / self.display_fps


@dataclass(frozen=True)
class EngineStats:
    rendered_fps: float
    batch_ms: float  # the last batch: latents + generator + conversion to uint8
    render_ms: float  # ... of which the generator (on CUDA: its launch; the wait is in conversion)
    batch: int
    level: int
    lead_ms: float
    threads: int
    slowdown: float
    discarded: int  # look-ahead frames retired because their inputs changed
    version: int
    frames: int  # rendered since the start
    busy_s: float  # time spent on batches since the start (as batch_ms, and publishing them)
    generator_s: float  # ... of which in the generator (as render_ms)
    latents_s: float  # ... in the source's latents (motion, parameters)
    noise_s: float  # ... making the noise fields the rendered blocks read
    convert_s: float  # ... converting to uint8 pixels; the rest is publishing and taps
    generator_cpu_s: float = 0.0  # CPU time of the producer thread in the generator (as
    # generator_s: below it, the thread waited: for a core, or for the interpreter lock)

    def latency_bound_ms(self, frame_ms: float) -> float:
        """Longest a parameter write can take to reach the screen now: the batch in flight,
        then one lead, then one display frame of `frame_ms` (see the module docstring)."""
        return self.batch_ms + self.lead_ms + frame_ms


@dataclass(frozen=True)
class _Swap:
    """Changes handed over by other threads, applied between two batches (None: unchanged)."""

    source: LatentSource | None = None
    backend: Backend | None = None
    costs: Costs | None = None
    settings: EngineSettings | None = None

    def then(self, later: _Swap) -> _Swap:
        """This swap with `later`'s changes on top."""
        changes = {f.name: getattr(later, f.name) for f in dataclasses.fields(later)}
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


@dataclass(frozen=True)
class _BatchTime:
    """Milliseconds of one batch: all of it (latents, generator, conversion), and the generator's."""

    batch_ms: float = 0.0
    render_ms: float = 0.0


@dataclass(frozen=True)
class _Totals:
    """What the producer did since the start: frames rendered, and seconds spent on batches in
    all and in each of their parts."""

    frames: int = 0
    busy_s: float = 0.0
    latents_s: float = 0.0
    noise_s: float = 0.0
    generator_s: float = 0.0
    convert_s: float = 0.0
    generator_cpu_s: float = 0.0

    def plus(self, other: _Totals) -> _Totals:
        return _Totals(*(getattr(self, f.name) + getattr(other, f.name) for f in dataclasses.fields(self)))


@dataclass(frozen=True)
class _SourceKey:
    """Which source object, at which of its versions, the newest frames come from."""

    source_id: int
    version: int


def allowed_levels(backend: Backend, settings: EngineSettings) -> list[int]:
    """The synthesis resolutions the planner may choose from."""
    levels = sorted(backend.resolutions)
    if settings.max_resolution:
        levels = [lv for lv in levels if lv <= settings.max_resolution] or levels[:1]
    return [lv for lv in levels if lv >= settings.min_resolution] or levels[-1:]


class Engine:
    """Renders `source` with `backend` ahead of `clock`. `start()` probes the machine (unless
    `costs` are given) and starts the producer thread; the display calls `pair_at(t)`."""

    def __init__(
        self,
        backend: Backend,
        source: LatentSource,
        clock: ShowClock,
        settings: EngineSettings = EngineSettings(),
        costs: Costs | None = None,
    ) -> None:
        self.clock = clock
        self.settings = settings
        self.error: BaseException | None = None
        self._backend, self._source, self._costs = backend, source, costs
        self._converter = FrameConverter(backend.device)
        self._ring = FrameRing(2 * max(settings.batch or 0, settings.max_batch) + 4, _host_buffer)
        self._lock = threading.Lock()
        self._swap: _Swap | None = None
        self._taps: list[Callable[[Frame], None]] = []
        self._planner: Planner | None = None
        self._version = 0
        self._source_key: _SourceKey | None = None
        self._serial = 0
        self._published: deque[float] = deque()  # when recent frames were published
        self._rendered_fps = 0.0
        self._threads = 0  # torch's thread count in the producer thread (it is per thread)
        self._rethread_wait = RETHREAD_WAIT_S[0]
        self._rethread_at = time.monotonic() + self._rethread_wait
        self._last = _BatchTime()
        self._totals = _Totals()
        self._discarded = 0
        self._retime_at = 0.0
        self._sample: Latents | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.ready = threading.Event()  # set once probing is done and rendering begins
        self._screen: Callable[[], ScreenScale] | None = None
        self._scale_here: bool | None = None

    # -- the display's side -------------------------------------------------------------------
    def pair_at(self, t: float) -> FramePair | None:
        """The frames to present at show time `t` (None before the first frame exists)."""
        return self._ring.pair_at(t, self.settings.blend)

    @property
    def native_id(self) -> int | None:
        """The producer thread's id for the OS (None before `start`)."""
        return self._thread.native_id if self._thread else None

    @property
    def version(self) -> int:
        """Input version of the newest frames; grows by one whenever the inputs change."""
        return self._version

    @property
    def costs(self) -> Costs | None:
        """The render costs the planner works with now (None until probed)."""
        return self._planner.costs if self._planner else None

    @property
    def stats(self) -> EngineStats:
        planner = self._planner
        return EngineStats(
            rendered_fps=self._rendered_fps,
            batch_ms=self._last.batch_ms,
            render_ms=self._last.render_ms,
            batch=planner.batch if planner else 0,
            level=planner.level if planner else 0,
            lead_ms=self._lead_s() * 1000 if planner else 0.0,
            threads=self._threads,
            slowdown=planner.slowdown if planner else 1.0,
            discarded=self._discarded,
            version=self._version,
            frames=self._totals.frames,
            busy_s=self._totals.busy_s,
            generator_s=self._totals.generator_s,
            latents_s=self._totals.latents_s,
            noise_s=self._totals.noise_s,
            convert_s=self._totals.convert_s,
            generator_cpu_s=self._totals.generator_cpu_s,
        )

    # -- control ------------------------------------------------------------------------------
    def start(self) -> "Engine":
        self._thread = threading.Thread(target=self._run, name="engine", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._ring.close()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def add_tap(self, tap: Callable[[Frame], None]) -> None:
        """Call `tap(frame)` for every frame published, in the engine's thread (keep it quick:
        copy the pixels and hand them to another thread, as `sinks.Recorder` does)."""
        with self._lock:
            self._taps = [*self._taps, tap]

    def scale_for(self, screen: Callable[[], ScreenScale] | None, on_device: bool | None = None) -> None:
        """Resample frames for `screen()` (Screen.scaling) as `display.scale = "sharp"` does,
        on the render device before they leave it, where `on_device` (default: whether the
        device is CUDA, `scales_on_device`); the screen draws `Frame.shown` then. None stops."""
        self._screen, self._scale_here = screen, on_device

    def _shown_size(self, frame: tuple[int, int, int]) -> tuple[tuple[int, int], float] | None:
        """(size, sharpen) to resample frames of `frame` (h, w, 3) to here, or None."""
        screen = self._screen
        here = scales_on_device(self._backend.device) if self._scale_here is None else self._scale_here
        if screen is None or not here:
            return None
        scaling = screen()
        size = scaling.sharp_size((frame[1], frame[0]))
        return None if size is None else (size, scaling.sharpen)

    def remove_tap(self, tap: Callable[[Frame], None]) -> None:
        with self._lock:
            self._taps = [t for t in self._taps if t is not tap]

    def swap(
        self,
        *,
        source: LatentSource | None = None,
        backend: Backend | None = None,
        costs: Costs | None = None,
        settings: EngineSettings | None = None,
    ) -> None:
        """Change what is rendered, between two batches and all at once (a reloaded show, a new
        model). Look-ahead frames from the old inputs are retired as after a parameter change.
        Give `costs` measured for a new backend (`probe.measure_costs`), or the old ones are
        kept and corrected as it runs. Thread-safe; a later swap adds to a pending one."""
        with self._lock:
            self._swap = (self._swap or _Swap()).then(_Swap(source, backend, costs, settings))

    # -- the producer thread ------------------------------------------------------------------
    def _run(self) -> None:
        try:
            self._prepare()
            self.ready.set()
            while not self._stop.is_set():
                self._apply_swap()
                if not self._step():
                    self._stop.wait(IDLE_POLL_S)
                self._maybe_retime()
        except BaseException as error:  # the display reports it and ends the show
            log.exception("engine stopped")
            self.error = error
        finally:
            self.ready.set()

    def _prepare(self) -> None:
        levels = allowed_levels(self._backend, self.settings)
        if self.settings.threads:
            torch.set_num_threads(self.settings.threads)  # for this thread, which renders
        if self._costs is None:
            with torch.inference_mode():
                sample = self._source.latents([self.clock.now()])
            twin = timing_twin(self._backend)
            if not self.settings.threads:
                pick_threads(twin, sample, levels[len(levels) // 2])
            self._costs = measure_costs(
                self._backend,
                sample,
                levels,
                self.settings.frame_budget_ms,
                self.settings.batch_budget_ms,
                self.settings.batch or self.settings.max_batch,
            )
        self._planner = self._new_planner(self._costs, levels)
        self._warn_if_the_batch_breaks_the_latency_bound()
        self._renderer = self._wrap(self._backend)
        self._threads = torch.get_num_threads()

    def _warn_if_the_batch_breaks_the_latency_bound(self) -> None:
        """A show's fixed batch overrides the cap that keeps a control's change within
        `latency_ms` of the screen: say so once, with what it costs here."""
        s, planner = self.settings, self._planner
        batch_ms = planner.batch_ms(planner.level, s.batch) if s.batch else 0.0
        if s.latency_with(batch_ms) > s.latency_ms:
            log.warning(
                "render.batch = %d: a batch takes about %.0f ms here, so a change can take %.0f ms"
                ' to reach the screen, over the %.0f ms bound; batch = "auto" keeps within it',
                s.batch,
                batch_ms,
                s.latency_with(batch_ms),
                s.latency_ms,
            )

    def _new_planner(self, costs: Costs, levels: list[int]) -> Planner:
        s = self.settings
        return Planner(
            costs,
            levels,
            frame_budget_ms=s.frame_budget_ms,
            batch_budget_ms=s.batch_budget_ms,
            fixed_batch=s.batch,
        )

    def _wrap(self, backend: Backend) -> Backend:
        if self.settings.cuda_graphs and backend.device.type == "cuda":
            from installation.engine.graphs import GraphedBackend

            return GraphedBackend(backend)
        return backend

    def _apply_swap(self) -> None:
        with self._lock:
            swap, self._swap = self._swap, None
        if swap is None:
            return
        if swap.source is not None:
            self._source = swap.source
        if swap.settings is not None:
            self.settings = _within(swap.settings, self._ring.capacity)
        if swap.backend is not None:
            self._backend = swap.backend
            self._converter = FrameConverter(self._backend.device)
            self._renderer = self._wrap(self._backend)
        if swap.costs is None and swap.backend is not None:  # kept costs are the old backend's
            self._costs = dataclasses.replace(self._costs, pending=frozenset(self._costs.frame_ms))
        self._costs = swap.costs or self._costs
        if swap.backend is not None or swap.settings is not None or swap.costs is not None:
            self._planner = self._new_planner(self._costs, allowed_levels(self._backend, self.settings))

    def _lead_s(self) -> float:
        planner = self._planner
        return (
            planner.batch_ms(planner.level, planner.batch) * LEAD_MARGIN
        ) / 1000 + 1 / self.settings.display_fps

    def _check_version(self, now: float) -> int:
        key = _SourceKey(id(self._source), self._source.version())
        if key != self._source_key:
            if self._source_key is not None:
                self._version += 1
                self._discarded += self._ring.discard(now + self._lead_s(), self._version)
            self._source_key = key
        return self._version

    def _step(self) -> bool:
        """Render one batch if one is due; False when there was nothing to do."""
        now = self.clock.now()
        version = self._check_version(now)
        planner = self._planner
        if self.clock.paused:  # a still picture: only the frame at the paused time is needed
            times = None if self._ring.holds(now, version) else [now]
        else:
            per_frame_s = planner.batch_ms(planner.level, planner.batch) / planner.batch / 1000
            dt = max(1 / self.settings.display_fps, per_frame_s)  # no more frames than the screen shows
            times = next_times(now, lead=self._lead_s(), dt=dt, batch=planner.batch, end=self._ring.end())
        if times is None:
            return False
        self._render(times, version, planner.level)
        return True

    def _render(self, times: list[float], version: int, level: int) -> None:
        shape = self._frame_shape(level)
        shown = self._shown_size(shape)
        buffers = self._ring.acquire(len(times), _slot_shape(shape, shown and shown[0]))
        if buffers is None:  # stopping
            return
        pixels, screen_pixels = _split_slots(buffers, shape, shown and shown[0])
        start = time.perf_counter()
        with torch.inference_mode():
            sample = self._source.latents(times)
            moved = time.perf_counter()
            latents = sample.for_level(self._backend.G, level)
            begin, begin_cpu = time.perf_counter(), time.thread_time()
            images = render_latents(self._renderer, latents, level)
            rendered, rendered_cpu = time.perf_counter(), time.thread_time()
            self._converter.convert(images, pixels, screen_pixels, shown[1] if shown else 0.0)
        done = time.perf_counter()
        self._last = _BatchTime((done - start) * 1000, (rendered - begin) * 1000)
        self._planner.record(level, len(times), self._last.batch_ms, time.monotonic())
        frames = []
        for i, t in enumerate(times):
            self._serial += 1
            on_screen = screen_pixels[i].numpy() if screen_pixels else None
            frames.append(Frame(t, pixels[i].numpy(), version, self._serial, shown=on_screen))
        self._ring.publish(frames, buffers)
        self._count_published(len(frames))
        for frame in frames:
            for tap in self._taps:
                tap(frame)
        self._totals = self._totals.plus(
            _Totals(
                frames=len(times),
                busy_s=time.perf_counter() - start,
                latents_s=moved - start,
                noise_s=begin - moved,
                generator_s=rendered - begin,
                convert_s=done - rendered,
                generator_cpu_s=rendered_cpu - begin_cpu,
            )
        )
        self._maybe_rethread(latents, level)
        self._sample = sample

    def _maybe_retime(self) -> None:
        """Time a level again once the backend renders it at full speed (its graph was built
        while torch eager rendered it, or auto made its choice): the planner then plans with
        what really renders. Levels above the current one are looked at first."""
        now = time.monotonic()
        if now < self._retime_at or self._sample is None or not self._planner.costs.pending:
            return
        self._retime_at = now + RETIME_CHECK_S
        latents = self._sample  # the latest batch's inputs, every noise field at hand
        planner = self._planner
        here = planner.levels.index(planner.level)
        order = planner.levels[here + 1 :] + planner.levels[: here + 1][::-1]
        for level in order:
            # The next level up is always worth a look: its prediction may come from a timing
            # that went wrong (a graph timed while another loaded), and no later look corrects it.
            next_up = level == order[0] and level > planner.level
            if level not in planner.costs.pending:
                continue
            if not next_up and planner.frame_ms(level) > self._retime_limit_ms():
                continue
            if not self._backend.ready(level, 1, latents.has_noise_fields):
                continue
            with torch.inference_mode():
                ms, final = level_ms(self._backend, latents, level)
            planner.retime(level, ms, final)
            log.info("%d px timed again on %s: %.0f ms per frame", level, self._backend.name, ms)
            return  # one level per look: each timing holds the producer for a few renders

    def _retime_limit_ms(self) -> float:
        """Levels predicted slower than this per frame are not timed again: the renders of the
        timing would hold the producer too long, and no build makes them fit the budget."""
        return RETIME_MAX_BUDGETS * self.settings.frame_budget_ms

    def _maybe_rethread(self, latents, level: int) -> None:
        """Host contention comes and goes, and with it the better CPU thread count (two threads
        were measured 4-10x slower than one on a busy host): probe again when renders are much
        slower than they were at start-up. Timed on what renders the level (its graph, once
        built: the count that suits it, and a shorter hold of the producer than torch eager's)."""
        if self._backend.device.type != "cpu" or self.settings.threads:
            return
        if time.monotonic() < self._rethread_at or self._planner.slowdown < RETHREAD_SLOWDOWN:
            return
        before = self._threads
        built = self._backend.ready(level, 1, latents.has_noise_fields)
        timed = self._backend if built else timing_twin(self._backend)
        with torch.inference_mode():
            self._threads = pick_threads(timed, latents, level)
        first, longest = RETHREAD_WAIT_S
        self._rethread_wait = first if self._threads != before else min(2 * self._rethread_wait, longest)
        self._rethread_at = time.monotonic() + self._rethread_wait

    def _frame_shape(self, level: int) -> tuple[int, int, int]:
        width, height = canvas_pixels(self._backend.G, level)
        return (height, width, 3)

    def _count_published(self, n: int) -> None:
        now = time.monotonic()
        self._published.extend([now] * n)
        while self._published[0] < now - FPS_WINDOW_S:
            self._published.popleft()
        span = now - self._published[0]
        self._rendered_fps = (len(self._published) - n) / span if span > 0 else 0.0


def _within(settings: EngineSettings, capacity: int) -> EngineSettings:
    """`settings` with a fixed batch that fits a ring of `capacity` frames (two batches and the
    pair on screen)."""
    largest = (capacity - 4) // 2
    if settings.batch and settings.batch > largest:
        log.warning("batch %d is more than this running engine holds: using %d", settings.batch, largest)
        return dataclasses.replace(settings, batch=largest)
    return settings


def _slot_shape(frame: tuple[int, int, int], shown: tuple[int, int] | None) -> tuple[int, ...]:
    """A ring slot for a frame of `frame` (h, w, 3), and beside it its screen-sized picture of
    `shown` (w, h) when there is one: then one flat buffer holds both."""
    return frame if shown is None else (math.prod(frame) + shown[0] * shown[1] * 3,)


def _split_slots(
    buffers: list[torch.Tensor], frame: tuple[int, int, int], shown: tuple[int, int] | None
) -> tuple[list[torch.Tensor], list[torch.Tensor] | None]:
    """The frames' pixels [h, w, 3] and their screen pictures (or None) in slots of `_slot_shape`."""
    if shown is None:
        return buffers, None
    n = math.prod(frame)
    return [b[:n].view(frame) for b in buffers], [b[n:].view(shown[1], shown[0], 3) for b in buffers]


def _host_buffer(shape: tuple[int, ...]) -> torch.Tensor:
    """Frame buffers in host memory, pinned where CUDA can use that for asynchronous copies."""
    return torch.empty(shape, dtype=torch.uint8, pin_memory=torch.cuda.is_available())
