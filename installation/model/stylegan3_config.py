"""What a StyleGAN3 generator is made of: the geometry its file stored, checked against its tensors.

StyleGAN3 layers are not a doubling ladder of resolutions: each has its own canvas size (image
plus margin), sampling rate and filters, designed at training time. The network pickle stores
all of it in the layers' attributes and buffers (spec §1.8), so nothing is re-derived here; the
tensors only confirm that the stored geometry adds up, so a file that doesn't gets one clear
error instead of a wrong picture.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import torch

from installation.errors import CheckpointError
from installation.model.config import mapping_sizes

ARCHITECTURE = "stylegan3"
_LAYER_NAME = re.compile(r"L(\d+)_(\d+)_(\d+)")


@dataclass(frozen=True)
class InputGeometry:
    """The Fourier-feature input: `channels` sinusoids sampled on a `size` (w, h) canvas.
    `origin`: where the field's (0, 0) lies, in samples from the canvas's left and top edges
    (None: its middle; a native canvas wider on one side than the other moves it)."""

    channels: int
    size: tuple[int, int]
    sampling_rate: float
    bandwidth: float
    origin: tuple[float, float] | None = None


@dataclass(frozen=True)
class LayerGeometry:
    """One synthesis layer: modulated conv, then filtered leaky ReLU resampling in_size -> out_size."""

    name: str
    in_channels: int
    out_channels: int
    kernel: int
    in_size: tuple[int, int]  # (w, h)
    out_size: tuple[int, int]
    up: int
    down: int
    padding: tuple[int, int, int, int]  # x0, x1, y0, y1 around the up-sampled canvas
    up_taps: tuple[int, ...] | None  # filter shape; None: no filter
    down_taps: tuple[int, ...] | None
    is_torgb: bool
    conv_clamp: float | None
    use_fp16: bool

    def resampled_size(self) -> tuple[int, int]:
        """The size filtered_lrelu produces from in_size with this padding and these filters."""
        tu = self.up_taps[-1] if self.up_taps else 1
        td = self.down_taps[-1] if self.down_taps else 1
        sizes = []
        for axis, (lo, hi) in enumerate((self.padding[:2], self.padding[2:])):
            conv = self.in_size[axis] + self.kernel - 1
            full = conv * self.up + lo + hi - (tu - 1) - (td - 1)
            sizes.append((full + self.down - 1) // self.down)
        return tuple(sizes)


@dataclass(frozen=True)
class StyleGAN3Config:
    """Sizes and geometry of a StyleGAN3 generator (configs T and R), in NVIDIA's naming."""

    z_dim: int
    w_dim: int
    c_dim: int
    img_resolution: int
    img_channels: int
    mapping_layers: int
    mapping_features: tuple[int, ...]
    input: InputGeometry
    layers: tuple[LayerGeometry, ...]
    output_scale: float = 0.25
    mapping_lr_multiplier: float = 0.01
    mapping_activation: str = "lrelu"
    embed_features: int = 0
    extra: dict = field(default_factory=dict, compare=False)  # provenance for `inspect`

    # What the rest of the engine asks every generator config: one output level, no noise.
    architecture = ARCHITECTURE
    init_size = (4, 4)
    use_noise = False

    @property
    def num_ws(self) -> int:
        return len(self.layers) + 1  # the input's transform reads ws[0]

    @property
    def image_size(self) -> tuple[int, int]:
        """(width, height) of the pictures: img_resolution square, unless widened to a canvas."""
        return self.layers[-1].out_size

    @property
    def block_resolutions(self) -> list[int]:
        return [self.img_resolution]

    @property
    def fp16_resolutions(self) -> list[int]:
        return []

    @property
    def conv_clamp(self) -> float | None:
        return self.layers[0].conv_clamp

    @property
    def variant(self) -> str:
        """'T' (3x3 convolutions) or 'R' (1x1 convolutions, rotation-equivariant)."""
        return "R" if all(layer.kernel == 1 for layer in self.layers) else "T"

    @property
    def radial_filters(self) -> bool:
        return any(layer.down_taps is not None and len(layer.down_taps) == 2 for layer in self.layers)

    @classmethod
    def from_state_dict(
        cls,
        state: dict[str, torch.Tensor],
        *,
        geometry: dict,
        mapping_lr_multiplier: float = 0.01,
        mapping_activation: str = "lrelu",
        extra: dict | None = None,
    ) -> "StyleGAN3Config":
        """`geometry` as `checkpoints.nvlabs_sg3` reads it from the file; every size checked here."""
        mapping = mapping_sizes(state)
        w_dim = mapping["w_dim"]
        inp = geometry["input"]
        channels = _shape(state, "synthesis.input.weight")[0]
        _expect(state, "synthesis.input.weight", [channels, channels])
        _expect(state, "synthesis.input.freqs", [channels, 2])
        _expect(state, "synthesis.input.phases", [channels])
        _expect(state, "synthesis.input.transform", [3, 3])
        _expect(state, "synthesis.input.affine.weight", [4, w_dim])
        first = InputGeometry(
            channels, _pair(inp["size"]), float(inp["sampling_rate"]), float(inp["bandwidth"])
        )
        layers = []
        prev_channels, prev_size = first.channels, first.size
        for index, raw in enumerate(geometry["layers"]):
            layer = _layer(state, raw, w_dim)
            found = _LAYER_NAME.fullmatch(layer.name)
            if not found or int(found.group(1)) != index:
                raise CheckpointError(
                    f"StyleGAN3 layer {index} is named {layer.name!r}, not L{index}_<size>_<channels>"
                )
            if (layer.in_channels, layer.in_size) != (prev_channels, prev_size):
                raise CheckpointError(
                    f"StyleGAN3 layer {layer.name} takes {layer.in_channels} channels, {list(layer.in_size)}"
                    f" px; the layer before gives {prev_channels}, {list(prev_size)} px"
                )
            if layer.resampled_size() != layer.out_size:
                raise CheckpointError(
                    f"StyleGAN3 layer {layer.name}: its padding {list(layer.padding)} and filters give "
                    f"{list(layer.resampled_size())} px, not the stored out_size {list(layer.out_size)}"
                )
            layers.append(layer)
            prev_channels, prev_size = layer.out_channels, layer.out_size
        if not layers or not layers[-1].is_torgb or any(layer.is_torgb for layer in layers[:-1]):
            raise CheckpointError("StyleGAN3 synthesis network does not end in exactly one ToRGB layer")
        if prev_size[0] != prev_size[1]:
            raise CheckpointError(f"StyleGAN3 output {list(prev_size)} is not square")
        return cls(
            **mapping,
            img_resolution=prev_size[0],
            img_channels=prev_channels,
            input=first,
            layers=tuple(layers),
            output_scale=float(geometry.get("output_scale", 0.25)),
            mapping_lr_multiplier=float(mapping_lr_multiplier),
            mapping_activation=mapping_activation,
            extra=dict(extra or {}),
        )


def _layer(state: dict[str, torch.Tensor], raw: dict, w_dim: int) -> LayerGeometry:
    name = str(raw["name"])
    key = f"synthesis.{name}"
    out_ch, in_ch, kh, kw = _shape(state, f"{key}.weight", ndim=4)
    if kh != kw:
        raise CheckpointError(f"{key}.weight has a {kh}x{kw} kernel; StyleGAN3 kernels are square")
    _expect(state, f"{key}.bias", [out_ch])
    _expect(state, f"{key}.affine.weight", [in_ch, w_dim])
    _expect(state, f"{key}.affine.bias", [in_ch])
    _expect(state, f"{key}.magnitude_ema", [])
    taps = {}
    for which in ("up", "down"):
        t = state.get(f"{key}.{which}_filter")
        if t is not None and not (t.ndim == 1 or (t.ndim == 2 and t.shape[0] == t.shape[1])):
            raise CheckpointError(f"{key}.{which}_filter has shape {list(t.shape)}: not 1-D or square taps")
        taps[which] = None if t is None else tuple(int(s) for s in t.shape)
    up, down = int(raw["up_factor"]), int(raw["down_factor"])
    if up < 1 or down < 1 or (taps["up"] is None and up != 1):
        raise CheckpointError(
            f"StyleGAN3 layer {name}: up {up} / down {down} with these filters is not a layout"
        )
    clamp = raw.get("conv_clamp")
    return LayerGeometry(
        name=name,
        in_channels=in_ch,
        out_channels=out_ch,
        kernel=kh,
        in_size=_pair(raw["in_size"]),
        out_size=_pair(raw["out_size"]),
        up=up,
        down=down,
        padding=tuple(int(p) for p in raw["padding"]),
        up_taps=taps["up"],
        down_taps=taps["down"],
        is_torgb=bool(raw["is_torgb"]),
        conv_clamp=None if clamp is None else float(clamp),
        use_fp16=bool(raw.get("use_fp16", False)),
    )


def _pair(value) -> tuple[int, int]:
    values = [int(v) for v in (value if hasattr(value, "__len__") else (value, value))]
    if len(values) != 2:
        raise CheckpointError(f"a StyleGAN3 size {values} is not (width, height)")
    return values[0], values[1]


def _shape(state: dict[str, torch.Tensor], key: str, ndim: int | None = None) -> list[int]:
    if key not in state:
        raise CheckpointError(f"StyleGAN3 generator has no tensor {key}")
    shape = list(state[key].shape)
    if ndim is not None and len(shape) != ndim:
        raise CheckpointError(f"tensor {key} has shape {shape}, expected {ndim} dimensions")
    return shape


def _expect(state: dict[str, torch.Tensor], key: str, shape: list[int]) -> None:
    found = _shape(state, key)
    if found != shape:
        raise CheckpointError(f"tensor {key} has shape {found}, expected {shape}")
