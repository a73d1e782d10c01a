"""The sections of a show file and the `Show` they load into.

Each settings class is the schema of one `[section]`; `Show`'s fields declare which sections
exist. Adding a section: write its settings class, add a `section(...)` field to `Show`, and
run `python -m installation.show.docs` to refresh docs/shows.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from installation.canvas import DEFAULT_FILL, FILLS, check_canvas
from installation.display.scaling import SCALES
from installation.errors import UserError
from installation.model.mixing import LAYERS_HELP, parse_layers
from installation.params.builtin import MAX_DIRECTIONS
from installation.params.spec import ParamSpec
from installation.show.bend_sections import BendSettings, LayerViewSettings
from installation.show.control_sections import (
    AudioSettings,
    AutopilotSettings,
    KeyboardSettings,
    MappingSettings,
    MidiSettings,
    OscSettings,
    SceneSettings,
    WebcamSettings,
)
from installation.show.gallery_sections import (
    GallerySettings,
    HealthSettings,
    LoggingSettings,
    ScheduleSettings,
)
from installation.show.output_sections import OutputSettings
from installation.show.schema import (
    AnyOf,
    Choice,
    Color,
    FilePath,
    Flag,
    Integer,
    LayerRange,
    ListOf,
    Number,
    SchemaError,
    Text,
    section,
    setting,
)
from installation.show.web_sections import WebSettings

SEED_MAX = 2**32 - 1  # np.random.RandomState takes seeds below 2**32
DEFAULT_MODEL = "default"


@dataclass(frozen=True)
class ShowInfo:
    name: str = setting("untitled", Text(), "title of the piece, shown on the HUD")
    description: str = setting("", Text(), "notes for whoever runs the show")


@dataclass(frozen=True)
class ModelSettings:
    path: str | Path = setting(
        DEFAULT_MODEL,
        FilePath(keywords=(DEFAULT_MODEL,)),
        'checkpoint, relative to the show file, or "default" for the embedded model',
    )
    class_label: int | None = setting(
        None, Integer(0), "class of a conditional model, used where keyframes give none"
    )
    mix_with: str | Path | None = setting(
        None,
        FilePath(),
        "a second checkpoint of the same architecture (a fine-tune); the model_mix parameter "
        "morphs towards it",
    )
    mix_layers: str = setting("all", Text(), f"the layers model_mix blends: {LAYERS_HELP}")

    def __post_init__(self) -> None:
        try:
            parse_layers(self.mix_layers)
        except UserError as error:
            raise SchemaError(("mix_layers",), str(error).split(": ", 1)[1]) from None


@dataclass(frozen=True)
class DisplaySettings:
    fullscreen: bool = setting(True, Flag(), "take the whole screen")
    screen: int | str = setting(
        0,
        AnyOf((Integer(0, 16), Text())),
        "which display: its number from 0, or (part of) its name, as `run.py displays` lists them",
    )
    fit: str = setting(
        "fit",
        Choice(("fit", "fill", "stretch")),
        "fit shows the whole frame (bars), fill covers the screen (crops), stretch distorts",
    )
    scale: str = setting(
        "auto",
        Choice(SCALES),
        "how frames are scaled up: nearest (crisp pixels), linear, sharp (bicubic; on the GPU "
        "before the frame leaves it when the model renders on CUDA), or auto: sharp when the "
        "frame is under half the screen's size, else linear",
    )
    sharpen: float = setting(0.0, Number(0, 2), "unsharp mask after sharp scaling (0 off; 0.5 is mild)")
    hud: bool = setting(False, Flag(), "overlay frame rate and parameter values at start")
    allow_quit: bool = setting(True, Flag(), "Esc / q quit; a gallery show turns this off")
    background: tuple[int, int, int] = setting((0, 0, 0), Color(), "colour of the bars around the frame")


@dataclass(frozen=True)
class RenderSettings:
    device: str = setting("auto", Choice(("auto", "cpu", "cuda")), "where the generator runs")
    precision: str = setting(
        "auto", Choice(("auto", "fp32", "bf16", "fp16")), "arithmetic of the generator; auto picks per device"
    )
    max_resolution: int = setting(
        0, Integer(0, 8192), "stop synthesis at this block (a power of two) for speed; 0 renders in full"
    )
    batch: str | int = setting(
        "auto",
        AnyOf((Choice(("auto",)), Integer(1, 64))),
        "frames rendered per generator call; auto batches only where a batch is faster per frame, "
        "within the 250 ms bound from a control's write to the screen. A fixed batch overrides that "
        "bound, and the log says so when it breaks it",
    )
    frame_budget_ms: float = setting(40.0, Number(1, 1000), "time the engine may spend per frame")
    blend: bool = setting(True, Flag(), "cross-fade in-between frames when rendering lags the display")
    canvas: str = setting(
        "",
        Text(),
        'shape the model paints natively: an aspect "16:9", "9:16", "48:9" or a size in the model\'s '
        'pixels "1792x1024"; the model\'s short side stays, the long one gets the nearest whole '
        "cell (StyleGAN2: a quarter of the model's resolution; StyleGAN3: a sixteenth, one sample of "
        'its Fourier input): 16:9 paints 1792x1024 on a 1024 model; "" keeps the model\'s own shape',
    )
    canvas_fill: str = setting(
        DEFAULT_FILL,
        Choice(FILLS),
        "how a StyleGAN2 model's constant input grows to the canvas: mirror (reflected at its edges; "
        "looked better on a trained model) or tile (repeated: copies of the subject recur); a "
        "StyleGAN3 model's input field needs no fill",
    )

    def __post_init__(self) -> None:
        res = self.max_resolution
        if res and (res < 4 or res & (res - 1)):
            raise SchemaError(("max_resolution",), f"expected 0 or a power of two from 4, got {res}")
        try:
            check_canvas(self.canvas)
        except UserError as error:
            raise SchemaError(("canvas",), str(error)) from None


@dataclass(frozen=True)
class MotionSettings:
    path: str = setting(
        "keyframes",
        Choice(("keyframes", "loop", "walk")),
        "keyframes: a loop through the keyframes; loop: a closed noise loop, walk: a bounded "
        "random walk, both around the first keyframe (see the radius and seed parameters)",
    )
    keyframes: tuple[int | Path, ...] = setting(
        (0, 1, 2, 3),
        ListOf(AnyOf((Integer(0, SEED_MAX), FilePath((".npy", ".npz"))))),
        "seeds, or files of vectors: .npy (z, or w+ if 3-D), .npz (key z or w); in loop order",
    )
    keyframe_classes: tuple[int, ...] = setting(
        (), ListOf(Integer(0)), "class label per keyframes entry, for conditional models"
    )
    interpolation: str = setting(
        "spline",
        Choice(("slerp", "lerp", "spline")),
        "slerp: great circles in Z; lerp: straight lines in W; spline: Catmull-Rom in W (no stops)",
    )
    easing: str = setting(
        "linear", Choice(("linear", "smoothstep", "cosine")), "pace within each keyframe-to-keyframe step"
    )
    period_seconds: float = setting(60.0, Number(0.1, 1e6), "one time around the loop at speed 1")
    period_beats: float = setting(
        0.0, Number(0, 1e5), "if above 0, the period in beats at the `bpm` parameter instead"
    )
    mix_layers: tuple[int, int | None] = setting(
        (8, None), LayerRange(), "ws layers that style mixing takes from the second source"
    )
    mix_source: str = setting(
        "seed", Choice(("seed", "walk")), "second source: the fixed mix_seed, or a random walk seeded with it"
    )
    mix_seed: int = setting(1, Integer(0, SEED_MAX), "seed of the second source")
    noise: str = setting(
        "const",
        Choice(("const", "random", "loop")),
        "per-pixel noise: fixed, new every frame, or a smooth loop",
    )
    noise_cycles: int = setting(1, Integer(1, 1000), "noise loops per motion loop (whole, so both close)")
    directions: str = setting(
        "none", Choice(("none", "sefa", "ganspace")), "semantic directions offered as direction_N parameters"
    )
    direction_count: int = setting(8, Integer(0, MAX_DIRECTIONS), "how many directions (strongest first)")
    direction_layers: tuple[int, int | None] = setting(
        (0, None), LayerRange(), "ws layers the directions act on (and SeFa reads)"
    )
    direction_scale: float = setting(3.0, Number(0, 50), "standard deviations of W at direction amount 1")
    ganspace_samples: int = setting(10000, Integer(1000, 1_000_000), "W samples for GANSpace PCA")
    spin: float = setting(
        0.0,
        Number(-1000, 1000),
        "StyleGAN3: turns of the picture per motion loop (whole numbers loop seamlessly)",
    )
    orbit: float = setting(
        0.0, Number(0, 1), "StyleGAN3: radius of a circle the picture's centre travels, in picture sizes"
    )
    orbit_cycles: int = setting(
        1, Integer(-1000, 1000), "StyleGAN3: orbits per motion loop (negative: clockwise)"
    )
    drift: tuple[float, ...] = setting(
        (0.0, 0.0),
        ListOf(Number(-1000, 1000)),
        "StyleGAN3: [x, y] picture sizes the picture travels per motion loop",
    )

    @property
    def offered_directions(self) -> int:
        """How many direction_N parameters this show has: none unless `directions` names a method
        (a parameter that changes nothing must not be advertised, nor take a HUD slot)."""
        return 0 if self.directions == "none" else self.direction_count

    def __post_init__(self) -> None:
        if len(self.drift) != 2:
            raise SchemaError(("drift",), f"expected [x, y], got {len(self.drift)} numbers")
        if self.path == "keyframes" and not self.keyframes:
            raise SchemaError(("keyframes",), "path = keyframes needs at least one keyframe")
        if self.keyframe_classes and len(self.keyframe_classes) != len(self.keyframes):
            raise SchemaError(
                ("keyframe_classes",),
                f"expected one class per keyframes entry ({len(self.keyframes)}), "
                f"got {len(self.keyframe_classes)}",
            )


@dataclass(frozen=True)
class Show:
    """A loaded, valid show. `parameters` holds the built-ins merged with the declared ones."""

    path: Path = Path("<show>")
    info: ShowInfo = section("show", ShowInfo, "What the piece is.")
    model: ModelSettings = section("model", ModelSettings, "Which generator draws the pictures.")
    display: DisplaySettings = section("display", DisplaySettings, "How frames reach the screen.")
    render: RenderSettings = section("render", RenderSettings, "How the generator is run.")
    motion: MotionSettings = section("motion", MotionSettings, "How the latents move over time.")
    parameters: tuple[ParamSpec, ...] = section(
        "parameters",
        ParamSpec,
        "Named, controllable values. A built-in name (see below) changes only the keys given.",
        named=True,
    )
    bends: tuple[BendSettings, ...] = section(
        "bends",
        BendSettings,
        "Network bending: a transform of one layer's activations, its amount and arguments live "
        "parameters (docs/bending.md).",
        array=True,
    )
    layer_view: LayerViewSettings = section(
        "layer_view", LayerViewSettings, "How the layer_view parameter shows a layer's activations."
    )
    # Unattended runs (installation/show/gallery_sections.py, read by `run.py gallery`).
    gallery: GallerySettings = section(
        "gallery", GallerySettings, "How `run.py gallery` keeps the piece running."
    )
    schedule: ScheduleSettings = section(
        "schedule", ScheduleSettings, "Opening hours and a playlist of scenes."
    )
    health: HealthSettings = section("health", HealthSettings, "The /health status page of `run.py gallery`.")
    logging: LoggingSettings = section("logging", LoggingSettings, "The log file of `run.py gallery`.")
    # Control surfaces (installation/show/control_sections.py, run by installation/control/).
    osc: OscSettings = section("osc", OscSettings, "OSC in and out, and OSCQuery (see docs/control.md).")
    midi: MidiSettings = section("midi", MidiSettings, "MIDI controllers, MIDI learn and MIDI clock.")
    webcam: WebcamSettings = section(
        "webcam", WebcamSettings, "A camera's motion, presence and colour as controls."
    )
    audio: AudioSettings = section(
        "audio", AudioSettings, "Live sound as controls: loudness, onsets, beats, bands, chroma."
    )
    keyboard: KeyboardSettings = section(
        "keyboard", KeyboardSettings, "Keys bound with `[[mappings]]` key = ..."
    )
    autopilot: AutopilotSettings = section(
        "autopilot", AutopilotSettings, "What happens when nobody is there."
    )
    mappings: tuple[MappingSettings, ...] = section(
        "mappings",
        MappingSettings,
        "Controls bound to parameters or actions; exactly one of midi, osc, webcam, audio, key.",
        array=True,
    )
    scenes: tuple[SceneSettings, ...] = section(
        "scenes", SceneSettings, "Named sets of parameter values, recalled with a crossfade.", named=True
    )
    # Frames out to other software (installation/show/output_sections.py, sent by installation/sinks/).
    outputs: tuple[OutputSettings, ...] = section(
        "outputs",
        OutputSettings,
        "Frames sent to other software as they are shown: NDI, a network stream, a virtual camera, "
        "Syphon, Spout (see docs/outputs.md).",
        array=True,
    )
    # The web control page (installation/show/web_sections.py, served by installation/web/).
    web: WebSettings = section("web", WebSettings, "The control page in a browser (see docs/control.md).")

    def parameter(self, name: str) -> ParamSpec:
        for spec in self.parameters:
            if spec.name == name:
                return spec
        raise KeyError(name)
