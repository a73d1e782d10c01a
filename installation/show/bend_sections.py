"""The `[[bends]]` and `[layer_view]` sections: network bending declared in the show.

A bend names one transform at one layer on a set of channels. Its strength (`amount`) and the
arguments its transform reads become show parameters (`NAME`, `NAME_x`, ...), so controls,
scenes and the autopilot move them like any other; the rest is fixed by the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from installation.params.spec import ParamSpec
from installation.show.schema import AnyOf, Choice, Integer, Number, SchemaError, Text, setting

# transform -> the arguments it reads, each live as parameter NAME_ARG.
TRANSFORM_ARGS: dict[str, tuple[str, ...]] = {
    "translate": ("x", "y"),
    "rotate": ("angle",),
    "zoom": ("scale",),
    "flip": (),
    "erode": (),
    "dilate": (),
    "invert": (),
    "threshold": ("level",),
    "multiply": ("factor",),
    "ablate": (),
    "sin": ("factor", "frequency", "angle", "phase"),
    "noise": ("factor",),
}
# argument -> (min, max, help) of its parameter.
ARG_RANGES: dict[str, tuple[float, float, str]] = {
    "x": (-1.0, 1.0, "shift to the right, in layer widths"),
    "y": (-1.0, 1.0, "shift downwards, in layer heights"),
    "angle": (-360.0, 360.0, "degrees: rotate's turn, or the direction sin's waves travel"),
    "scale": (0.05, 20.0, "zoom's magnification (below 1 shrinks)"),
    "level": (-8.0, 8.0, "activations above this become 1, the rest 0"),
    "factor": (-16.0, 16.0, "multiply's factor; the height of sin's and noise's field"),
    "frequency": (0.0, 64.0, "sin's waves across the layer"),
    "phase": (0.0, 1.0, "sin's phase, in turns"),
}
CHANNEL_SETS = '"all", "A-B" (channel indices, inclusive), "fraction" (picked by channel_seed), "cluster"'
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_RANGE = re.compile(r"\s*(\d+)\s*-\s*(\d+)\s*")


@dataclass(frozen=True)
class BendSettings:
    name: str = setting("", Text(), "the bend's parameter name (its amount); arguments are NAME_ARG")
    layer: int | str = setting(
        16,
        AnyOf((Integer(4, 8192), Text())),
        'a resolution (the block\'s output, e.g. 16), or a layer name ("b16.conv0", "b16.conv1")',
    )
    transform: str = setting("translate", Choice(tuple(TRANSFORM_ARGS)), "what is done to the activations")
    channels: str = setting("all", Text(), f"which channels: {CHANNEL_SETS}")
    fraction: float = setting(0.5, Number(0, 1), 'share of the channels that channels = "fraction" picks')
    channel_seed: int = setting(0, Integer(0, 2**31 - 1), 'seed of channels = "fraction"\'s pick')
    cluster: int = setting(0, Integer(0, 63), 'which group of alike channels channels = "cluster" takes')
    clusters: int = setting(4, Integer(2, 64), "how many groups the layer's channels are clustered into")
    amount: float = setting(
        0.0, Number(0, 1), "strength at start: 0 is the unbent network, 1 the full transform"
    )
    smoothing: float = setting(
        0.2, Number(0, 600), "seconds the amount and arguments take to follow a new value"
    )
    axis: str = setting("x", Choice(("x", "y")), "flip: mirror left-right (x) or top-bottom (y)")
    size: int = setting(3, Integer(2, 15), "erode / dilate: the neighbourhood, in pixels")
    seed: int = setting(0, Integer(0, 2**31 - 1), "noise: seed of the field")
    x: float = setting(0.25, Number(*ARG_RANGES["x"][:2]), ARG_RANGES["x"][2])
    y: float = setting(0.0, Number(*ARG_RANGES["y"][:2]), ARG_RANGES["y"][2])
    angle: float = setting(45.0, Number(*ARG_RANGES["angle"][:2]), ARG_RANGES["angle"][2])
    scale: float = setting(2.0, Number(*ARG_RANGES["scale"][:2]), ARG_RANGES["scale"][2])
    level: float = setting(0.5, Number(*ARG_RANGES["level"][:2]), ARG_RANGES["level"][2])
    factor: float = setting(2.0, Number(*ARG_RANGES["factor"][:2]), ARG_RANGES["factor"][2])
    frequency: float = setting(4.0, Number(*ARG_RANGES["frequency"][:2]), ARG_RANGES["frequency"][2])
    phase: float = setting(0.0, Number(*ARG_RANGES["phase"][:2]), ARG_RANGES["phase"][2])

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise SchemaError(
                ("name",), "a bend needs a name: letters, digits and _, not starting with a digit"
            )
        if isinstance(self.layer, str) and not re.fullmatch(r"b\d+\.conv[01]", self.layer):
            raise SchemaError(
                ("layer",), f'expected a resolution or a layer name like "b16.conv1", got "{self.layer}"'
            )
        if self.channels not in ("all", "fraction", "cluster") and not self.channel_range:
            raise SchemaError(("channels",), f'expected {CHANNEL_SETS}, got "{self.channels}"')
        if self.cluster >= self.clusters:
            raise SchemaError(("cluster",), f"cluster must be below clusters ({self.clusters})")

    @property
    def channel_range(self) -> tuple[int, int] | None:
        """(first, last + 1) for channels = "A-B"."""
        match = _RANGE.fullmatch(self.channels)
        if not match or int(match.group(1)) > int(match.group(2)):
            return None
        return int(match.group(1)), int(match.group(2)) + 1

    @property
    def layer_name(self) -> str:
        return self.layer if isinstance(self.layer, str) else f"b{self.layer}.conv1"

    @property
    def args(self) -> tuple[str, ...]:
        return TRANSFORM_ARGS[self.transform]

    def parameter_name(self, arg: str | None = None) -> str:
        return self.name if arg is None else f"{self.name}_{arg}"


def bend_parameters(bends: tuple[BendSettings, ...]) -> tuple[ParamSpec, ...]:
    """The parameters the bends declare: each one's amount, then its transform's arguments."""
    specs = []
    for bend in bends:
        specs.append(
            ParamSpec(
                bend.parameter_name(),
                default=bend.amount,
                smoothing=bend.smoothing,
                help=f"{bend.transform} at {bend.layer_name}: 0 unbent, 1 full",
            )
        )
        for arg in bend.args:
            low, high, text = ARG_RANGES[arg]
            specs.append(
                ParamSpec(
                    bend.parameter_name(arg),
                    min=low,
                    max=high,
                    default=getattr(bend, arg),
                    smoothing=bend.smoothing,
                    help=f"{bend.name}: {text}",
                )
            )
    return tuple(specs)


@dataclass(frozen=True)
class LayerViewSettings:
    mode: str = setting(
        "tiled",
        Choice(("tiled", "channel", "pca")),
        "tiled: the first channels side by side; channel: one channel (the layer_view_channel "
        "parameter); pca: the first three principal components as red, green and blue",
    )
    tiles: int = setting(
        16, Integer(1, 256), "how many channels the tiled view shows (a square number fits best)"
    )
