"""What the compiled backends share: one built graph per shape (stop resolution, batch size,
whether noise fields come in, and the show's bend declaration when a bend is on), made on first
use, with torch eager covering for what is not built.

Builds started off the main thread (in the background, or by a loader thread) run in a child
process (`build.py`); on the main thread in this one. A graph that cannot be built or run
leaves its shape on torch eager for good, said once in the log; random noise renders eagerly
(a graph has the constant noise, or takes noise fields). A StyleGAN3 graph takes each frame's
input transform (the file's own where a frame has none); its model has no noise, so one graph
serves every noise mode.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from abc import abstractmethod
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import torch

from installation.backends.base import Backend
from installation.backends.build import first_line, stopping, write_in_child
from installation.backends.cache import ModelCache, used
from installation.backends.graph import export_program, file_transforms, noise_layers, takes_transform
from installation.backends.graph_mix import MixLayout, mix_layout
from installation.backends.torch_eager import TorchEagerBackend, morphed
from installation.model.bends import Bending, BendLayout, layouts_key
from installation.model.mixing import ModelMorph

log = logging.getLogger(__name__)

# Each loaded graph holds its own weights and buffers (0.2-0.9 GB at 1024 px): keep the most
# recently used few; an evicted one reloads from the disk cache in under a second.
MAX_LOADED_GRAPHS = 4

Runner = Callable[..., torch.Tensor]  # (ws, noise_gain [B], *noise fields, bend parameters) -> images


class Shape(NamedTuple):
    stop_res: int
    batch: int
    noise_fields: bool = False
    bends: tuple[BendLayout, ...] = ()  # a graph with bends takes their parameters as an input
    mix: MixLayout | None = None  # a morph graph holds B's span and takes the amount

    def __str__(self) -> str:
        noise = " with noise fields" if self.noise_fields else ""
        bends = f" with {len(self.bends)} bend{'s' * (len(self.bends) > 1)}" if self.bends else ""
        mix = " with a model morph" if self.mix is not None else ""
        return f"{self.stop_res} px x {self.batch}{noise}{bends}{mix}"


def shape_program(G, shape: Shape, precision: str, device: str) -> torch.export.ExportedProgram:
    """The exported synthesis network for one shape, where both backends' builds start."""
    return export_program(
        G,
        shape.stop_res,
        shape.batch,
        precision,
        noise_fields=shape.noise_fields,
        bends=shape.bends,
        mix=shape.mix,
        device=device,
    )


class GraphBackend(Backend):
    """Subclasses say how to write a graph file for one shape (`write_graph`, also run in a
    child process) and how to load it (`_load`); this class decides when and where.

    With `background`, the first render of a new shape starts its build and renders eagerly
    until it is done, so a live show never stalls on a compile."""

    suffix = ""  # of the graph files

    def __init__(self, G, device, precision: str, *, cache: ModelCache, background: bool = True) -> None:
        super().__init__(G, device, precision)
        self.cache = cache
        self.background = background
        self.eager = TorchEagerBackend(G, device, precision)
        self._runners: OrderedDict[Shape, Runner | None] = OrderedDict()  # None: cannot be built
        self._pending: dict[Shape, threading.Event] = {}
        # Two workers: one loads graphs already in the cache (a second each), one builds (minutes
        # each), so that cached levels never wait behind a build.
        self._queues: dict[str, queue.Queue[Shape]] = {}
        self._noiseless = not noise_layers(G, G.config.img_resolution)  # noise changes nothing

    @staticmethod
    @abstractmethod
    def write_graph(G, shape: Shape, precision: str, device: str, path: Path) -> None:
        """Export (and compile) `G`'s graph for `shape` into `path`."""

    @abstractmethod
    def _load(self, shape: Shape, path: Path) -> Runner: ...

    def _build(self, shape: Shape) -> Runner:
        path = self._graph_path(shape)
        if not path.exists():
            partial = path.with_name(f"{path.stem}.partial{path.suffix}")  # no reader sees half a file
            # Off the main thread (the background worker, a show's model loader) the build runs
            # in a child process: a thread inside native code when the process exits aborts it.
            if threading.current_thread() is not threading.main_thread():
                write_in_child(type(self), self.G, shape, self.precision, self.device, partial)
            else:
                self.write_graph(self.G, shape, self.precision, str(self.device), partial)
            partial.replace(path)
        used(path)
        return self._load(shape, path)

    def render(
        self,
        ws,
        *,
        stop_res=None,
        noise_mode="const",
        noise_gain=1.0,
        noise=None,
        bends: Bending | None = None,
        mix: tuple[ModelMorph, float] | None = None,
        transform: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """As `Backend.render`; `bends`, a batch's bending, goes into the graph built for its
        declaration (the amounts and arguments are an input: new values build nothing), and so
        do `mix`, (a model morph, its amount), into the graph built for that morph, and
        `transform`, a StyleGAN3 batch's input transforms ([3, 3] or [B, 3, 3])."""
        batch = ws.shape[0]
        shape = self._shape(
            stop_res,
            batch,
            noise is not None and noise_mode != "none",
            () if bends is None else bends.layouts,
            None if mix is None else mix_layout(mix[0]),
        )
        args = None
        if noise_mode != "random" or shape.noise_fields or self._noiseless:
            args = self._graph_args(shape, ws, 0.0 if noise_mode == "none" else noise_gain, noise)
            if args is not None and bends is not None:
                args.append(bends.params.to(self.device, torch.float32).contiguous())
            if args is not None and mix is not None:
                args.append(torch.full((1,), float(mix[1]), device=self.device))
            if args is not None and takes_transform(self.G):
                moved = file_transforms(self.G, batch, self.device) if transform is None else transform
                args.append(moved.to(self.device, torch.float32).expand(batch, 3, 3).contiguous())
        runner = None if args is None else self._runner(shape, wait=not self.background)
        if runner is None and args is not None and batch > 1 and self._loaded(shape._replace(batch=1)):
            # The batch's own graph is still being built: its frames one by one on the
            # single-frame graph beat torch eager's batch (2-4x slower per frame on a CPU).
            return torch.cat(
                [
                    self.render(
                        ws[i : i + 1],
                        stop_res=stop_res,
                        noise_mode=noise_mode,
                        noise_gain=_frame_of(noise_gain, i, batch),
                        noise=None
                        if noise is None
                        else {k: _frame_of(v, i, batch) for k, v in noise.items()},
                        bends=bends,
                        mix=mix,
                        transform=transform
                        if transform is None or transform.ndim == 2
                        else transform[i : i + 1],
                    )
                    for i in range(batch)
                ]
            )
        if runner is not None:
            self._touch(shape)
            try:
                with torch.no_grad():
                    img = runner(*args)
            except Exception as error:  # noqa: BLE001 - a runtime's refusal: this shape is eager from now on
                log.warning(
                    "%s failed to run %s (%s): torch eager renders it", self.name, shape, first_line(error)
                )
                self._runners[shape] = None
            else:
                # Half-precision graphs have no per-block NaN guard; the eager path does.
                if self.precision == "fp32" or bool(torch.isfinite(img).all()):
                    return img
        eager = self.eager if mix is None else morphed(self.eager, *mix)
        return eager.render(
            ws,
            stop_res=stop_res,
            noise_mode=noise_mode,
            noise_gain=noise_gain,
            noise=noise,
            bend=bends,
            transform=transform,
        )

    def _loaded(self, shape: Shape) -> bool:
        """Whether the graph of `shape` is loaded and runs (no build or load pending)."""
        return shape not in self._pending and self._runners.get(shape) is not None

    def _graph_args(self, shape: Shape, ws: torch.Tensor, noise_gain, noise) -> list[torch.Tensor] | None:
        """The graph's inputs, or None where no graph can serve (a resolution the model cannot
        stop at, a noise field missing)."""
        if shape.stop_res not in self.resolutions:
            return None
        if isinstance(noise_gain, torch.Tensor):
            gain = noise_gain.to(self.device, torch.float32).expand(shape.batch).contiguous()
        else:
            gain = torch.full((shape.batch,), float(noise_gain), device=self.device)
        args = [ws.to(self.device, torch.float32).contiguous(), gain]
        if shape.noise_fields:
            layers = noise_layers(self.G, shape.stop_res)
            if any(name not in noise for name in layers):
                return None
            sizes = [self.G.synthesis.get_submodule(name).size for name in layers]
            args += [
                noise[name].to(self.device, torch.float32).expand(shape.batch, 1, *size).contiguous()
                for name, size in zip(layers, sizes, strict=True)
            ]
        return args

    def _shape(
        self,
        stop_res: int | None,
        batch: int,
        noise_fields: bool,
        bends: tuple = (),
        mix: MixLayout | None = None,
    ) -> Shape:
        """The graph a render of this shape runs: a model without noise needs no noise fields."""
        res = stop_res or self.G.config.img_resolution
        return Shape(res, batch, noise_fields and not self._noiseless, bends, mix)

    def _graph_path(self, shape: Shape) -> Path:
        """Where this backend keeps its build for one shape (the key covers weights and versions)."""
        noise = "-noise" if shape.noise_fields else ""
        bends = f"-bends{layouts_key(shape.bends)}" if shape.bends else ""
        mix = f"-mix{shape.mix.key()}" if shape.mix is not None else ""
        moved = "-transform" if takes_transform(self.G) else ""
        stem = f"synthesis-{shape.stop_res}px-b{shape.batch}-{self.precision}{noise}{bends}{mix}{moved}"
        parts = shape._asdict()
        if not shape.bends:
            del parts["bends"]  # the keys of graphs without bends stay those from before bends
        if shape.mix is None:
            del parts["mix"]  # and those without a morph those from before morphs
        if moved:
            parts["transform"] = True  # a StyleGAN3 graph's inputs: never a StyleGAN2 graph's key
        return self.cache.path(stem, self.suffix, precision=self.precision, **parts)

    def ready(self, stop_res: int | None = None, batch: int = 1, noise_fields: bool = False) -> bool:
        shape = self._shape(stop_res, batch, noise_fields)
        if shape.stop_res not in self.resolutions or not self.background:
            return True  # torch eager for good, or a render waits for its build: as fast as it gets
        if shape in self._runners and shape not in self._pending:
            return True  # built (or it cannot be, and torch eager is what renders it)
        self._runner(shape, wait=False)
        return False

    def loading(self, stop_res: int | None = None, batch: int = 1, noise_fields: bool = False) -> bool:
        shape = self._shape(stop_res, batch, noise_fields)
        return shape in self._pending and self._graph_path(shape).exists()

    def prepare(
        self, stop_res: int | None = None, batch: int = 1, bends: tuple = (), mix: ModelMorph | None = None
    ) -> bool:
        shape = self._shape(stop_res, batch, False, bends, None if mix is None else mix_layout(mix))
        return self._runner(shape, wait=True) is not None

    def _touch(self, key: Shape) -> None:
        """Mark `key` as just used and unload the least recently used graphs over the limit.
        Only the rendering thread reorders or deletes; the worker only adds."""
        self._runners.move_to_end(key)
        loaded = [k for k, runner in self._runners.items() if runner is not None]
        for old in loaded[:-MAX_LOADED_GRAPHS]:
            del self._runners[old]

    def _runner(self, key: Shape, wait: bool) -> Runner | None:
        # Only this thread adds to `_pending`; a worker keeps a runner before it drops the
        # pending entry, so looking at `_pending` first never misses a finished build.
        event = self._pending.get(key)
        if event is not None:
            if wait:
                event.wait()
            return self._runners.get(key)
        if key in self._runners:
            return self._runners[key]
        if wait:
            self._build_and_keep(key)
            return self._runners[key]
        self._pending[key] = threading.Event()
        kind = "load" if self._graph_path(key).exists() else "build"
        if kind not in self._queues:
            self._queues[kind] = queue.Queue()
            # A daemon: at exit the build's child process is ended; files appear under their names
            # only when complete.
            worker = threading.Thread(target=self._work, args=(self._queues[kind],), daemon=True)
            worker.name = f"{self.name}-{kind}"
            worker.start()
        self._queues[kind].put(key)
        return None

    def _work(self, shapes: queue.Queue[Shape]) -> None:
        while True:
            key = shapes.get()
            self._build_and_keep(key)
            self._pending.pop(key).set()

    def _build_and_keep(self, key: Shape) -> None:
        start = time.perf_counter()
        try:
            runner = self._build(key)
        except Exception as error:  # noqa: BLE001 - missing exporter, compiler or provider: never a crash
            if stopping():
                return  # the process is exiting and ended the build
            log.warning(
                "%s cannot build the %s graph (%s): torch eager renders it", self.name, key, first_line(error)
            )
            runner = None
        else:
            log.info("%s: %s ready in %.1f s", self.name, key, time.perf_counter() - start)
        self._runners[key] = runner


def _frame_of(value, i: int, batch: int):
    """Frame `i`'s part of a batch's noise gain ([B]) or noise field ([B, 1, H, W]); one shared
    by the batch (a number, or a first axis of 1) as it is."""
    if isinstance(value, torch.Tensor) and value.ndim > 0 and value.shape[0] == batch:
        return value[i : i + 1]
    return value
