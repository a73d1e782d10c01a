"""One running show: show file -> parameter bus -> motion -> engine -> screen, with hot reload.

How the rest plugs in (see `play`'s `setup` hook, called before the first frame):
- control surfaces write parameters on `live.bus` (a ParameterBus), from any thread:
  `live.bus.set("psi", 0.4, source="osc")`; they never touch the model or the engine;
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

from installation.control.latent import LatentOverride
from installation.engine import Engine, EngineSettings, FramePair, ShowClock
from installation.engine.show_source import ShowSource
from installation.errors import UserError
from installation.params.bus import ParameterBus
from installation.show.sections import Show

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
    from installation.bench.generator import available_precisions

    return "mixed" if "mixed" in available_precisions(device) else "fp32"


def renderer_key(
    show: Show, device_name: str | None = None, precision: str | None = None, backend: str = "auto"
) -> tuple:
    """What the renderer for `show` is made of: (model path, device, precision, backend). A
    reloaded show with the same key keeps the running model. Arguments override the show."""
    from installation.model.loading import pick_device

    device = pick_device(device_name or show.render.device)
    return (str(show.model.path), device, precision or pick_precision(show.render.precision, device), backend)


def load_renderer(
    show: Show, device_name: str | None = None, precision: str | None = None, backend: str = "auto"
) -> Renderer:
    """The show's model on its device, with the backend that runs it ('auto': the fastest here,
    calibrated by the backends package the first time a model is used)."""
    from installation.backends import create_backend
    from installation.model.loading import load_model

    key = renderer_key(show, device_name, precision, backend)
    path, device, precision, backend = key
    G = load_model(path, device)
    log.info("model %s on %s, precision %s", path, device, precision)
    return Renderer(G, create_backend(G, device, precision, backend), key)


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


class LiveShow:
    """A show running in the engine. `start()` loads the model in a thread and starts the
    engine; until then (and if loading fails: see `error`) there are no frames. It is the
    presenter's `Feed`."""

    def __init__(
        self,
        show: Show,
        *,
        device: str | None = None,
        backend: str = "auto",
        display_fps: float = 60.0,
        cuda_graphs: bool = False,
    ) -> None:
        self.show = show
        self.clock = ShowClock()
        self.bus = ParameterBus(show.parameters, clock=self.clock.now)  # stamps writes in show time
        self.engine: Engine | None = None
        self.on_reload: list[Callable[[Show], None]] = []
        self.note = ""  # the last reload problem, shown on the HUD
        self.hud_inputs: Callable[[], dict] | None = None  # the control surfaces' debug view
        self.recall_scene: Callable[..., bool] | None = None  # theirs too (the gallery's playlist)
        self._device, self._backend = device, backend
        self._display_fps, self._cuda_graphs = display_fps, cuda_graphs
        self._renderer: Renderer | None = None
        self._source: ShowSource | None = None
        self._error: BaseException | None = None
        self._loader: threading.Thread | None = None
        self._taps: list[Callable] = []
        self._override: LatentOverride | None = None
        self._lock = threading.Lock()
        self.outputs: list = []  # LiveOutputs, see start_outputs
        self.recording = None  # the Recorder while recording
        self.recordings = Path("recordings")

    # -- running ------------------------------------------------------------------------------
    def start(self) -> "LiveShow":
        self._loader = threading.Thread(target=self._load_first, name="model-loader", daemon=True)
        self._loader.start()
        return self

    def _load_first(self) -> None:
        try:
            renderer = load_renderer(self.show, self._device, backend=self._backend)
            source = ShowSource(self.show, renderer.G, self.bus, self._override)
            settings = engine_settings(self.show, self._display_fps, self._cuda_graphs)
            self._renderer, self._source = renderer, source
            engine = Engine(renderer.backend, source, self.clock, settings)
            with self._lock:
                for tap in self._taps:
                    engine.add_tap(tap)
                self.engine = engine.start()
        except BaseException as error:  # the display loop reports it
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

    def attach_override(self, override: LatentOverride) -> None:
        """Let `override` (a z sent by a controller) steer the motion, now and after reloads."""
        self._override = override
        if self._source is not None:
            self._source.override = override

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
        inputs = self.hud_inputs() if self.hud_inputs is not None else None
        lines = hud_lines(
            stats,
            displayed_fps,
            self.bus.snapshot().values,
            full_resolution=full,
            paused=self.clock.paused,
            note=note,
            inputs=inputs,
        )
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
        source = self._source
        if source is not None:
            target = (source.keyframe_index() + delta) % len(source.motion.keyframes)
            self.bus.set("keyframe", target, source="keyboard")

    # -- outputs and recording ----------------------------------------------------------------
    def start_outputs(self, specs) -> None:
        """Feed a LiveOutput per OutputSpec from the rendered frames; one without a size sends
        the model's resolution."""
        from installation.sinks.outputs import start_output

        for spec in specs:
            output = start_output(spec, self.clock.now, self._frame_size)
            self.outputs.append(output)
            self.add_tap(output.offer)

    def _frame_size(self) -> tuple[int, int]:
        resolution = self._renderer.G.img_resolution
        return resolution, resolution

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
                log.warning("not recording: %s", error)
                self.note = f"not recording: {error}"
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
        loop, while the old one keeps rendering. A show that cannot run is reported and the
        running one goes on."""
        self.wait_until_loaded()
        if self.engine is None:
            return
        try:
            renderer = self._renderer
            if renderer_key(show, self._device, backend=self._backend) != renderer.key:
                renderer = load_renderer(show, self._device, backend=self._backend)
            source = ShowSource(show, renderer.G, self.bus, self._override)
            costs = None
            if renderer is not self._renderer:
                costs = self._measure(renderer, source)
        except UserError as error:
            self.report(str(error))
            return
        self.bus.reconfigure(show.parameters)
        settings = engine_settings(show, self._display_fps, self._cuda_graphs)
        if renderer is self._renderer:
            self.engine.swap(source=source, settings=settings)
        else:
            self.engine.swap(source=source, backend=renderer.backend, costs=costs, settings=settings)
        self._renderer, self._source, self.show, self.note = renderer, source, show, ""
        for callback in self.on_reload:
            callback(show)

    def _measure(self, renderer: Renderer, source: ShowSource):
        """Render costs of a new model, measured while the old one keeps rendering (so they
        come out high; the planner corrects them as the new model runs)."""
        import torch

        from installation.engine.engine import allowed_levels
        from installation.engine.probe import measure_costs, timing_twin

        settings = self.engine.settings
        with torch.inference_mode():
            sample = source.latents([self.clock.now()])
        levels = allowed_levels(renderer.backend, settings)
        return measure_costs(
            timing_twin(renderer.backend),
            sample,
            levels,
            settings.frame_budget_ms,
            settings.batch_budget_ms,
            settings.batch or settings.max_batch,
        )

    def report(self, message: str) -> None:
        """A show edit that could not be applied (ShowWatcher's on_error)."""
        log.warning("%s", message)
        self.note = f"not reloaded: {message}"


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
) -> None:
    """Play `show` in a window until quit (or for `seconds`). `setup(live, presenter)` runs
    before the first frame: the place for heartbeats and the like. With `controls`, the show's
    control surfaces (OSC, MIDI, webcam, keys, autopilot) start once the model is loaded.
    `record`: an mp4 file that gets the rendered frames at 30 fps, placed on a `size` canvas as
    on screen. The show's `[[outputs]]` and `outputs` (OutputSpecs) get the frames too; with
    `headless` there is no window: the frames go only to them."""
    from installation.display import Presenter
    from installation.show.watcher import ShowWatcher
    from installation.sinks.outputs import spec_of

    display = show.display
    screen = None if headless else open_screen(show, windowed, size)
    if fps is None:  # the display's own rate where SDL can read it
        fps = (screen.refresh_hz if screen is not None else None) or DEFAULT_FPS
        log.info("presenting at %g fps", fps)
    live = LiveShow(show, device=device, backend=backend, display_fps=fps, cuda_graphs=cuda_graphs).start()
    live.start_outputs([spec_of(settings) for settings in show.outputs] + list(outputs))
    presenter = Presenter(
        screen,
        live,
        fps=fps,
        hud=display.hud,
        allow_quit=display.allow_quit,
        screenshots=Path("screenshots"),
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
    controls = ControlsStarter(live, presenter) if controls else None
    try:
        if setup is not None:
            setup(live, presenter)
        if watcher is not None:
            watcher.start()
        if controls is not None:
            controls.start()
        presenter.run(seconds)
    finally:
        if watcher is not None:
            watcher.stop()
        if controls is not None:
            controls.stop()
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
    """Starts a show's control surfaces once its model is loaded (they need its z size), off the
    display loop, and wires them in: key events, the latent override, hot reloads. A surface
    that cannot open (a port taken) is reported on the HUD; the show plays on without it."""

    def __init__(self, live: LiveShow, presenter) -> None:
        self.live, self.presenter = live, presenter
        self.surfaces = None
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="controls-start", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        from installation.control.surfaces import ControlSurfaces

        live = self.live
        live.wait_until_loaded()
        if live.renderer is None or self._stopped.is_set():
            return
        try:
            surfaces = ControlSurfaces(
                live.show,
                live.bus,
                z_dim=live.renderer.G.z_dim,
                keyframe_now=lambda: live.source.keyframe_index(),
            )
            surfaces.start()
        except UserError as error:
            live.report(f"control surfaces off: {error}")
            return
        live.attach_override(surfaces.latent)
        surfaces.controls.on_record = live.set_recording  # the record:on/off/toggle actions, /record
        self.presenter.key_handlers.append(surfaces.on_key_event)
        live.on_reload.append(self._reconfigure)
        live.hud_inputs = surfaces.hud
        live.recall_scene = surfaces.recall_scene
        with self._lock:
            self.surfaces = surfaces
            stopped = self._stopped.is_set()
        if stopped:
            surfaces.stop()

    def _reconfigure(self, show: Show) -> None:
        try:
            self.surfaces.reconfigure(show)
        except UserError as error:
            self.live.report(f"control surfaces not reconfigured: {error}")

    def stop(self) -> None:
        with self._lock:
            self._stopped.set()
            surfaces = self.surfaces
        if surfaces is not None:
            surfaces.stop()
