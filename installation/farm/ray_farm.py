"""`run.py render --ray`: a render's chunks rendered by Ray actors, one per GPU (or CPU), each
loading the model once and keeping it for every chunk it is given. Ray schedules, moves the
job and the chunks, and restarts a worker that dies: its chunk is rendered again, from its
first frame, and replaces nothing but itself (chunks are kept by index)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from installation.errors import UserError
from installation.farm.chunks import chunk_path, chunk_ranges
from installation.farm.job import JobRenderer, RenderJob, Settings
from installation.sinks.extras import require
from installation.sinks.progress import Progress

RESTARTS = 3  # how often a lost worker is started again, and its chunk tried again
CRASH_HOOK = "INSTALLATION_FARM_CRASH"  # "CHUNK:MARKER": the tests' fault, see ChunkWorker


class ChunkWorker:
    """One Ray actor: the job's model, loaded by the first call and kept for every chunk. The
    job comes with each call, not to the constructor: Ray keeps a call's arguments until it is
    done, so a worker started again after a crash finds the job to render its chunk from."""

    def __init__(self) -> None:
        self._renderer: JobRenderer | None = None

    def settings(self, job: RenderJob) -> Settings:
        return self._loaded(job).settings

    def encode(self, job: RenderJob, index: int, frames: range) -> tuple[int, bytes]:
        return index, self._loaded(job).encode(frames, _planned_crash(index))

    def _loaded(self, job: RenderJob) -> JobRenderer:
        if self._renderer is None:
            self._renderer = JobRenderer(job)
        return self._renderer


class _Crash:
    """A sink that ends the worker's process at the chunk's second frame, once: the file MARKER
    records that it did. The tests' way to lose a worker mid-chunk as a real crash would."""

    def __init__(self, marker: Path) -> None:
        self._marker, self._frames = marker, 0

    def write(self, image) -> None:
        self._frames += 1
        if self._frames == 2:
            self._marker.touch()
            os._exit(1)

    def close(self) -> None:
        pass


def _planned_crash(index: int) -> list[_Crash]:
    chunk, _, marker = os.environ.get(CRASH_HOOK, "").partition(":")
    if chunk != str(index) or not marker or Path(marker).exists():
        return []
    return [_Crash(Path(marker))]


def render_on_ray(
    job: RenderJob,
    address: str | None,
    workers: int | None,
    chunk_seconds: float,
    folder: Path,
    progress: Progress,
) -> tuple[Settings, list[Path], int]:
    """The job's chunks rendered on the Ray cluster at `address` (None: a local one started
    now, with `workers` CPUs) into `folder`: (the workers' settings, the chunk files in order,
    the number of workers)."""
    ray = require("ray", "ray", "render --ray")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no reports home from a render
    try:
        ray.init(
            address=address or "local",  # a new cluster, even where `ray start` left one running
            num_cpus=workers if address is None else None,
            include_dashboard=False,
            log_to_driver=False,
            configure_logging=False,
        )
    except (ConnectionError, RuntimeError, ValueError) as error:
        where = f"the Ray cluster at {address}" if address else "a local Ray cluster"
        raise UserError(f"--ray: cannot reach {where}: {error}") from None
    try:
        return _render(ray, job, workers, chunk_seconds, folder, progress)
    except ray.exceptions.RayError as error:
        raise UserError(f"--ray: {_user_error(error) or error}") from None
    finally:
        ray.shutdown()


def _render(
    ray, job: RenderJob, workers: int | None, chunk_seconds: float, folder: Path, progress: Progress
) -> tuple[Settings, list[Path], int]:
    from ray.util import ActorPool

    resources = ray.cluster_resources()
    gpus = int(resources.get("GPU", 0)) if (job.device or job.show.render.device) != "cpu" else 0
    available = gpus or int(resources.get("CPU", 1))
    count = workers or available
    if count > available:  # the extra workers would wait for a free slot for ever
        has = f"{available} GPUs" if gpus else f"{available} CPUs"
        raise UserError(f"--workers {count}: the Ray cluster has {has}")
    actor = ray.remote(ChunkWorker).options(
        num_gpus=1 if gpus else 0, num_cpus=0 if gpus else 1, max_restarts=RESTARTS, max_task_retries=RESTARTS
    )
    job_ref = ray.put(job)  # once into the object store, not once per call
    actors = [actor.remote() for _ in range(count)]
    settings = ray.get([a.settings.remote(job_ref) for a in actors])
    if len(set(settings)) > 1:
        seen = "; ".join(sorted({str(s) for s in settings}))
        raise UserError(f"--ray: the workers would render differently ({seen}): give --backend and --device")
    plan = chunk_ranges(len(job.times), chunk_seconds, job.fps, settings[0].batch)
    pool = ActorPool(actors)
    for index, data in pool.map_unordered(
        lambda a, item: a.encode.remote(job_ref, *item), list(enumerate(plan))
    ):
        chunk_path(folder, index).write_bytes(data)
        progress.advance(len(plan[index]))
    return settings[0], [chunk_path(folder, index) for index in range(len(plan))], count


def _user_error(error: BaseException) -> str | None:
    """The UserError behind a worker's failure (a model file missing there, say), if any."""
    seen: Sequence[BaseException | None] = (getattr(error, "cause", None), error.__cause__)
    for cause in seen:
        if isinstance(cause, UserError):
            return str(cause)
    return None
