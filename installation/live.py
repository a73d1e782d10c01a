"""One running show: show file -> parameter bus -> motion -> engine -> screen, with hot reload.

How the rest plugs in (see `play`'s `setup` hook, called before the first frame):
- control surfaces write on `live.bus` (a ParameterBus), from any thread, and nothing else:
  `live.bus.set("psi", 0.4, source="osc")`, `live.bus.step("keyframe", 1)`, the `latent`
  vector; they never touch motion, the model or the engine;
- what the show needs from its surfaces (their HUD view, a scene recall for the gallery's
  playlist, following a reload) is one `ControlPort`, given at construction;
- every key event reaches each function in `presenter.key_handlers` (show-defined bindings);
  space, arrows, h, f, s, esc and q also have their own meaning (display/keys.py);
- `presenter.presented` is the last picture on screen (`Presented`: monotonic time, show time,
  input version, refresh count): a heartbeat reads it;
- `live.clock` pauses and resumes the show; `live.on_reload` callbacks see each new Show;
- `live.outputs` are the sinks fed from the frames (`[[outputs]]`, `--output`), and
  `live.set_recording` starts and stops recording the show (the R key, OSC `/record`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from installation.engine import Engine, EngineSettings, FramePair, ShowClock
from installation.errors import UserError, describe_failure
from installation.motion.source import ShowSource
from installation.params.builtin import LATENT, parameters_for_model
from installation.params.bus import ParameterBus
from installation.show.sections import Show
from installation.tiles import TileChoice

if TYPE_CHECKING:
    from installation.display.scaling import ScreenScale

log = logging.getLogger(__name__)

RECORD_FPS = 30.0
DEFAULT_FPS = 60.0  # where the display's refresh rate cannot be read


@dataclass(frozen=True)
class Renderer:
    """A model on a device and the backend that runs it."""

    G: object
    backend: object
    key: tuple  # what it was made from: a reload with the same key keeps it


def pick_precision(setting: str, device) -> str:
    """The show's `render.precision`: 'auto' is fp16 mixed precision on CUDA, bf16 mixed on a
    CPU that computes bf16 natively, else fp32."""
    if setting != "auto":
        return setting
    if device.type == "cuda":
        return "mixed"
    from installation.model.precision import available_precisions

    return "mixed" if "mixed" in available_precisions(device) else "fp32"


def renderer_key(
    show: Show,
    device_name: str | None = None,
    precision: str | None = None,
    backend: str = "auto",
    tile: TileChoice | None = None,
) -> tuple:
    """What the renderer for `show` is made of: (model path, device, precision, backend, canvas,
    canvas fill, tile). A reloaded show with the same key keeps the running model. Arguments
    override the show."""
    from installation.model.loading import pick_device

    device = pick_device(device_name or show.render.device)
    return (
        str(show.model.path),
        device,
        precision or pick_precision(show.render.precision, device),
        backend,
        show.render.canvas,
        show.render.canvas_fill,
        tile,
    )


def load_renderer(
    show: Show,
    device_name: str | None = None,
    precision: str | None = None,
    backend: str = "auto",
    tile: TileChoice | None = None,
) -> Renderer:
    """The show's model on its device, with the backend that runs it ('auto': the fastest here,
    calibrated by the backends package the first time a model is used); `tile`: render only
    that tile of the show's canvas (see installation/tiles.py)."""
    from installation.backends import create_backend
    from installation.model.canvas import describe_canvas, with_canvas
    from installation.model.loading import load_model
    from installation.model.tiles import tiled

    if tile is not None and show.model.mix_with:
        raise UserError("--tile with model.mix_with: a model morph renders the whole canvas, not a tile")
    key = renderer_key(show, device_name, precision, backend, tile)
    path, device, precision, backend, canvas, fill, tile = key
    G = tiled(with_canvas(load_model(path, device), canvas, fill), tile)
    log.info("model %s on %s, precision %s", path, device, precision)
    if canvas:
        log.info("canvas %s: %s", canvas, describe_canvas(G) or "the model's own shape")
    if tile is not None:
        log.info("%s", G.config.tile.describe(G.img_resolution))
    return Renderer(G, create_backend(G, device, precision, backend), key)


def model_parameters(show: Show, G) -> tuple:
    """The show's parameters that act on model G (see parameters_for_model)."""
    from installation.model.stylegan3 import is_stylegan3

    return parameters_for_model(show.parameters, is_stylegan3(G), mixes=bool(show.model.mix_with))


def engine_settings(show: Show, display_fps: float = 60.0, cuda_graphs: bool = False) -> EngineSettings:
    r = show.render
    return EngineSettings(
        frame_budget_ms=r.frame_budget_ms,
        batch=None if r.batch == "auto" else int(r.batch),
        max_resolution=r.max_resolution or None,
        blend=r.blend,
        display_fps=display_fps,
        cuda_graphs=cuda_graphs,
    )


class ControlPort(Protocol):
    """What a running show needs from the control surfaces around it."""

    def inputs(self) -> dict[str, Any] | None:
        """The surfaces' state for the HUD's debug view and /health; None while there are none."""

    def recall_scene(
        self, ref: str | int, source: str = "schedule", crossfade: float | None = None
    ) -> bool | None:
        """Recall a scene (the gallery's playlist); None while the surfaces are not running."""

    def reconfigure(self, show: Show) -> None:
        """Follow a reloaded show, once the bus took its parameters."""


class NoControls:
    """The port of a show without control surfaces (`play(controls=False)`, renders, tests)."""

    def inputs(self) -> dict[str, Any] | None:
        return None

    def recall_scene(
        self, ref: str | int, source: str = "schedule", crossfade: float | None = None
    ) -> bool | None:
        return None

    def reconfigure(self, show: Show) -> None:
        pass


class LiveShow:
    """A show running in the engine. `start()` loads the model in a thread and starts the
    engine; until then (and if loading fails: see `error`) there are no frames. It is the
    presenter's `Feed`. `port`: its control surfaces. `screen_scale`: the window's
    `Screen.scaling`, so that the engine can do `sharp` scaling on a CUDA device."""

    def __init__(
        self,
        show: Show,
        *,
        port: ControlPort | None = None,
        device: str | None = None,
        backend: str = "auto",
        display_fps: float = 60.0,
        cuda_graphs: bool = False,
        tile: TileChoice | None = None,
        screen_scale: Callable[[], ScreenScale] | None = None,
    ) -> None:
        self.show = show
        self.tile = tile
        self.port: ControlPort = port or NoControls()
        self.clock = ShowClock()
        self.bus = ParameterBus(show.parameters, clock=self.clock.now)  # stamps writes in show time
        self.engine: Engine | None = None
        self.on_reload: list[Callable[[Show], None]] = []
        self.note = ""  # the last problem the show went on after, shown on the HUD
        self.hud_extras: list[Callable[[], str]] = []  # more HUD lines (a sync role's state)
        self._device, self._backend = device, backend
        self._display_fps, self._cuda_graphs = display_fps, cuda_graphs
        self._renderer: Renderer | None = None
        self._source: ShowSource | None = None
        self._error: BaseException | None = None
        self._loader: threading.Thread | None = None
        self._taps: list[Callable] = []
        self._lock = threading.Lock()
        self.outputs: list = []  # LiveOutputs, see start_outputs
        self.recording = None  # the Recorder while recording
        self.recordings = Path("recordings")
        self._screen_scale = screen_scale

    # -- running ------------------------------------------------------------------------------
    def start(self) -> "LiveShow":
        self._loader = threading.Thread(target=self._load_first, name="model-loader", daemon=True)
        self._loader.start()
        return self

    def _load_first(self) -> None:
        try:
            renderer = load_renderer(self.show, self._device, backend=self._backend, tile=self.tile)
            self.bus.reconfigure(model_parameters(self.show, renderer.G))
            self.bus.declare_vector(LATENT, renderer.G.z_dim)
            source = ShowSource(self.show, renderer.G, self.bus)
            settings = engine_settings(self.show, self._display_fps, self._cuda_graphs)
            self._renderer, self._source = renderer, source
            engine = Engine(renderer.backend, source, self.clock, settings)
            engine.scale_for(self._screen_scale)
            with self._lock:
                for tap in self._taps:
                    engine.add_tap(tap)
                self.engine = engine.start()
        except BaseException as error:  # noqa: BLE001 - the display loop re-raises it in the main thread
            self._error = error

    def add_tap(self, tap: Callable) -> None:
        """`tap(frame)` for every rendered frame, from the engine's thread (see Engine.add_tap),
        whether the engine is running yet or not."""
        with self._lock:
            self._taps.append(tap)
            if self.engine is not None:
                self.engine.add_tap(tap)

    def remove_tap(self, tap: Callable) -> None:
        with self._lock:
            self._taps.remove(tap)
            if self.engine is not None:
                self.engine.remove_tap(tap)

    def sinks(self) -> list[str]:
        """What taps the rendered frames (a recorder, the web preview), by kind, for status pages."""
        with self._lock:
            return [type(getattr(tap, "__self__", tap)).__name__ for tap in self._taps]

    def wait_until_loaded(self, timeout: float | None = None) -> None:
        if self._loader is not None:
            self._loader.join(timeout)

    def stop(self) -> None:
        self.wait_until_loaded()
        if self.engine is not None:
            self.engine.stop()

    @property
    def renderer(self) -> Renderer | None:
        """The model and backend rendering now (None until loaded)."""
        return self._renderer

    @property
    def source(self) -> ShowSource | None:
        """The latent source rendering now (None until loaded)."""
        return self._source

    # -- the presenter's feed -----------------------------------------------------------------
    @property
    def error(self) -> BaseException | None:
        return self._error or (self.engine.error if self.engine else None)

    def pair_at(self, t: float) -> FramePair | None:
        return self.engine.pair_at(t) if self.engine else None

    def hud_lines(self, displayed_fps: float) -> list[str]:
        from installation.display.hud import hud_lines

        engine = self.engine
        stats = engine.stats if engine is not None and engine.ready.is_set() else None
        full = self._renderer.G.img_resolution if self._renderer else None
        note = self.note or ("" if stats else "loading the model and measuring this machine...")
        inputs = self.port.inputs()
        lines = hud_lines(
            stats,
            displayed_fps,
            self.bus.snapshot().values,
            full_resolution=full,
            paused=self.clock.paused,
            note=note,
            inputs=inputs,
        )
        lines += [line() for line in self.hud_extras]
        return lines + [status.line() for status in self.output_statuses()]

    def actions(self) -> dict[str, Callable[[], None]]:
        """What the keyboard's show actions do (see display/keys.py)."""
        return {
            "pause": self.clock.toggle,
            "previous": lambda: self.step_keyframe(-1),
            "next": lambda: self.step_keyframe(1),
            "record": lambda: self.set_recording("toggle"),
        }

    def step_keyframe(self, delta: int) -> None:
        """Jump to the keyframe `delta` away from the one the motion is at (wrapping around)."""
        self.bus.step("keyframe", delta, source="keyboard")

    # -- outputs and recording ----------------------------------------------------------------
    def start_outputs(self, specs) -> None:
        """Feed a LiveOutput per OutputSpec from the rendered frames; one without a size sends
        the frames' own (the model's resolution, on its canvas or tile)."""
        from installation.sinks.outputs import start_output

        for spec in specs:
            output = start_output(spec, self.clock.now, self._frame_size)
            self.outputs.append(output)
            self.add_tap(output.offer)

    def _frame_size(self) -> tuple[int, int]:
        """(width, height) of the frames at full resolution: a canvas's or a tile's shape."""
        from installation.model.canvas import canvas_pixels

        return canvas_pixels(self._renderer.G)

    def frame_status(self, displayed_fps: float) -> dict[str, Any]:
        """For /health: frame rates, the level rendered, the model and its device."""
        engine = self.engine
        stats = engine.stats if engine is not None and engine.ready.is_set() else None
        return {
            "fps": round(displayed_fps, 1),
            "rendered_fps": round(stats.rendered_fps, 1) if stats else None,
            "resolution": stats.level if stats else None,
            "model": str(self.show.model.path),
            "device": self.show.render.device,
        }

    def output_statuses(self) -> list:
        """OutputStatus of every output, and of the recording while there is one."""
        recording = self.recording
        return [o.status() for o in self.outputs] + ([recording.status()] if recording else [])

    def set_recording(self, how: str) -> None:
        """'on' starts recording the frames, as rendered, to recordings/DATE-TIME.mp4; 'off' ends
        it (the file is finished off the caller's thread); 'toggle' flips."""
        from installation.sinks import Recorder, VideoFile

        if how == "toggle":
            how = "off" if self.recording is not None else "on"
        if how == "off":
            self._stop_recording(wait=False)
        elif how == "on" and self.recording is None and self._renderer is not None:
            path = self.recordings / time.strftime("%Y%m%d-%H%M%S.mp4")
            size = self._frame_size()
            try:
                video = VideoFile(path, RECORD_FPS, size)
            except (UserError, OSError) as error:
                self.report(str(error), "not recording")
                return
            self.recording = Recorder(video, RECORD_FPS, size, name=f"recording {path}", disk=path.parent)
            self.add_tap(self.recording.offer)
            log.info("recording to %s", path)

    def _stop_recording(self, wait: bool) -> None:
        recorder, self.recording = self.recording, None
        if recorder is None:
            return
        self.remove_tap(recorder.offer)
        if wait:
            recorder.close()
        else:  # the rest of the queue is written off the display loop
            threading.Thread(target=recorder.close, name="recording-close", daemon=True).start()
        log.info("recording stopped: %s", recorder.name)

    def close_outputs(self) -> None:
        self._stop_recording(wait=True)
        for output in self.outputs:
            output.close()

    # -- hot reload ---------------------------------------------------------------------------
    def reload(self, show: Show) -> None:
        """Adopt an edited show (ShowWatcher's callback; runs in its thread). Motion and
        parameters change between two frames; a new model is loaded here, off the render
        loop, while the old one keeps rendering. A show that cannot run is reported (see
        `report`) and the running one goes on with its controls."""
        self.wait_until_loaded()
        if self.engine is None:
            return
        try:
            self._adopt(show)
        except Exception as error:  # noqa: BLE001 - whatever it was, the running show goes on
            self.report(describe_failure(error, log))
            return
        log.info("show reloaded: %s", show.path)

    def _adopt(self, show: Show) -> None:
        """Everything that can fail on its own comes first, so a failure there changes nothing.
        (The loader has checked the show as a whole: every Show it makes is valid.)"""
        renderer = self._renderer
        if renderer_key(show, self._device, backend=self._backend, tile=self.tile) != renderer.key:
            renderer = load_renderer(show, self._device, backend=self._backend, tile=self.tile)
        source = ShowSource(show, renderer.G, self.bus)
        costs = None if renderer is self._renderer else self._measure(renderer, source)
        settings = engine_settings(show, self._display_fps, self._cuda_graphs)
        self.bus.reconfigure(model_parameters(show, renderer.G))
        self.bus.declare_vector(LATENT, renderer.G.z_dim)
        if renderer is self._renderer:
            self.engine.swap(source=source, settings=settings)
        else:
            self.engine.swap(source=source, backend=renderer.backend, costs=costs, settings=settings)
        self._renderer, self._source, self.show, self.note = renderer, source, show, ""
        self.port.reconfigure(show)
        for callback in self.on_reload:
            callback(show)

    def _measure(self, renderer: Renderer, source: ShowSource):
        """Render costs of a new model, measured while the old one keeps rendering (so they
        come out high; the planner corrects them as the new model runs)."""
        import torch

        from installation.engine.engine import allowed_levels
        from installation.engine.probe import measure_costs

        settings = self.engine.settings
        with torch.inference_mode():
            sample = source.latents([self.clock.now()])
        levels = allowed_levels(renderer.backend, settings)
        return measure_costs(  # levels not built yet are timed on torch eager, and again once built
            renderer.backend,
            sample,
            levels,
            settings.frame_budget_ms,
            settings.batch_budget_ms,
            settings.batch or settings.max_batch,
        )

    def report(self, message: str, what: str = "not reloaded") -> None:
        """A problem the show goes on after, in the log and on the HUD: by default a show edit
        that could not be applied (ShowWatcher's on_error)."""
        log.warning("%s: %s", what, message)
        self.note = f"{what}: {message}"


def play(
    show: Show,
    *,
    windowed: bool = False,
    size: tuple[int, int] = (1280, 720),
    device: str | None = None,
    backend: str = "auto",
    seconds: float | None = None,
    fps: float | None = None,
    cuda_graphs: bool = False,
    record: str | None = None,
    watch: bool = True,
    setup: Callable[[LiveShow, object], None] | None = None,
    controls: bool = True,
    outputs: Sequence = (),
    headless: bool = False,
    screenshots: bool = True,
    tile: TileChoice | None = None,
) -> None:
    """Play `show` in a window until quit (or for `seconds`). `setup(live, presenter)` runs
    before the first frame: the place for heartbeats and the like. With `controls`, the show's
    control surfaces (OSC, MIDI, webcam, keys, autopilot) start once the model is loaded.
    `record`: an mp4 file that gets the rendered frames at 30 fps, placed on a `size` canvas as
    on screen. The show's `[[outputs]]` and `outputs` (OutputSpecs) get the frames too; with
    `headless` there is no window: the frames go only to them. `screenshots`: whether the `s`
    key saves what the screen shows (off where visitors may reach a keyboard). `tile`: show
    only that tile of the show's canvas (one screen of a wall)."""
    from installation.display import Presenter
    from installation.display.presenter import screenshot_directory
    from installation.show.watcher import ShowWatcher
    from installation.sinks.outputs import spec_of

    display = show.display
    screen = None if headless else open_screen(show, windowed, size)
    if fps is None:  # the display's own rate where SDL can read it
        fps = (screen.refresh_hz if screen is not None else None) or DEFAULT_FPS
        log.info("presenting at %g fps", fps)
    starter = ControlsStarter() if controls else None
    live = LiveShow(
        show,
        port=starter,
        device=device,
        backend=backend,
        display_fps=fps,
        cuda_graphs=cuda_graphs,
        tile=tile,
        screen_scale=screen.scaling if screen is not None else None,
    ).start()
    live.start_outputs([spec_of(settings) for settings in show.outputs] + list(outputs))
    presenter = Presenter(
        screen,
        live,
        fps=fps,
        hud=display.hud,
        allow_quit=display.allow_quit,
        screenshots=screenshot_directory() if screenshots else None,
        actions=live.actions(),
    )

    def follow_display(new: Show) -> None:
        if screen is not None:
            screen.mode, screen.background = new.display.fit, new.display.background
            screen.scale, screen.sharpen = new.display.scale, new.display.sharpen
        presenter.allow_quit = new.display.allow_quit

    live.on_reload.append(follow_display)
    recorder = None
    if record:
        from installation.sinks import Recorder, VideoFile

        recorder = Recorder(VideoFile(record, RECORD_FPS, size), RECORD_FPS, size, mode=display.fit)
        live.add_tap(recorder.offer)
    watcher = ShowWatcher(show, live.reload, on_error=live.report) if watch and show.path.is_file() else None
    if starter is not None:
        presenter.key_handlers.append(starter.on_key_event)
    try:
        if setup is not None:
            setup(live, presenter)
        if watcher is not None:
            watcher.start()
        if starter is not None:
            starter.start(live, lambda: presenter.displayed_fps)
        presenter.run(seconds)
    finally:
        if watcher is not None:
            watcher.stop()
        if starter is not None:
            starter.stop()
        live.stop()
        live.close_outputs()
        if screen is not None:
            screen.close()
        if recorder is not None:
            recorder.close()


def open_screen(show: Show, windowed: bool, size: tuple[int, int]):
    """The show's window: full screen on its display unless `windowed` (then of `size`)."""
    from installation.display import Screen, init_video

    init_video()  # no screen: say so now, before loading anything
    display = show.display
    return Screen(
        fullscreen=display.fullscreen and not windowed,
        display=display.screen,
        size=size,
        mode=display.fit,
        background=display.background,
        title=show.info.name,
        scale=display.scale,
        sharpen=display.sharpen,
    )


class ControlsStarter:
    """A show's control surfaces, as its `ControlPort`: started once its model is loaded (the
    surfaces' /latent needs its z size), off the display loop. A surface that cannot open (a
    port taken) is off, and says so in `inputs()`; the show plays on without it."""

    def __init__(self) -> None:
        self._surfaces = None  # a ControlSurfaces once started
        self._web = None  # the web page's surface (installation/web/), when the show serves one
        self._displayed_fps: Callable[[], float] = lambda: 0.0
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def surfaces(self):
        """The running ControlSurfaces, or None before they start."""
        return self._surfaces

    @property
    def web(self):
        """The running web page's surface (installation/web/), or None."""
        return self._web

    def start(self, live: LiveShow, displayed_fps: Callable[[], float] | None = None) -> None:
        """`displayed_fps`: the screen's frame rate (the presenter's), for the web page's status."""
        self._live = live
        if displayed_fps is not None:
            self._displayed_fps = displayed_fps
        self._thread = threading.Thread(target=self._run, args=(live,), name="controls-start", daemon=True)
        self._thread.start()

    def _run(self, live: LiveShow) -> None:
        from installation.control.surfaces import ControlSurfaces

        live.wait_until_loaded()
        if live.renderer is None or self._stopped.is_set():
            return
        try:
            surfaces = ControlSurfaces(live.show, live.bus, on_record=live.set_recording)
            surfaces.start()
        except Exception as error:  # noqa: BLE001 - the show plays on without its surfaces
            live.report(describe_failure(error, log), "control surfaces off")
            return
        web = self._start_web(live, surfaces, live.show)
        with self._lock:
            self._surfaces, self._web = surfaces, web
            stopped = self._stopped.is_set()
        if stopped:
            self._stop_all(surfaces, web)

    def _start_web(self, live: LiveShow, surfaces, show: Show):
        """The show's web page, or None (off, or it could not open: then `live.report` says why)."""
        if not show.web.enabled:
            return None
        from installation.web.surface import WebSurface

        try:
            return WebSurface(live, surfaces, self._displayed_fps).start()
        except Exception as error:  # noqa: BLE001 - the show plays on without its page
            live.report(describe_failure(error, log), "web page off")
            return None

    @staticmethod
    def _stop_all(surfaces, web) -> None:
        if web is not None:
            web.stop()
        surfaces.stop()

    # -- the port ---------------------------------------------------------------------------
    def inputs(self) -> dict[str, Any] | None:
        surfaces, web = self._surfaces, self._web
        if surfaces is None:
            return None
        info = surfaces.hud()
        if web is not None:
            info["web"] = "{}:{}".format(*web.server.address)
        return info

    def recall_scene(
        self, ref: str | int, source: str = "schedule", crossfade: float | None = None
    ) -> bool | None:
        surfaces = self._surfaces
        return None if surfaces is None else surfaces.recall_scene(ref, source, crossfade)

    def reconfigure(self, show: Show) -> None:
        surfaces = self._surfaces
        if surfaces is None:
            return
        surfaces.reconfigure(show)
        web = self._web
        if web is not None and web.reconfigure(show):
            return
        if web is not None:
            web.stop()
        self._web = self._start_web(self._live, surfaces, show)

    def on_key_event(self, event: object) -> None:
        """For `Presenter.key_handlers`: the show's key bindings, once the surfaces run."""
        surfaces = self._surfaces
        if surfaces is not None:
            surfaces.on_key_event(event)

    def stop(self) -> None:
        with self._lock:
            self._stopped.set()
            surfaces, web = self._surfaces, self._web
        if surfaces is not None:
            self._stop_all(surfaces, web)
