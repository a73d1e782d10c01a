"""StyleGAN3 generator (configs T and R): mapping, Fourier-feature input, alias-free synthesis layers.

Equal in function to NVIDIA's `networks_stylegan3` in fp32; tensor names match its
`G_ema.state_dict()`. The synthesis network takes an optional per-frame input transform, so a
batch can hold frames rotated and translated by different amounts.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from installation.errors import UserError
from installation.model.filtered_lrelu import Resampler
from installation.model.generator import PRECISIONS, Generator, _all_finite
from installation.model.layers import CastCache, FullyConnected
from installation.model.stylegan3_config import LayerGeometry, StyleGAN3Config


def input_transform(rotate_deg: float = 0.0, translate: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """The input's `transform` for an image rotated by `rotate_deg` and shifted by `translate`
    (in units of the image size), built as NVIDIA's gen_images.py builds it: inverse(m)."""
    return input_transforms(np.array([[rotate_deg, *translate]]))[0]


def input_transforms(pose: np.ndarray) -> np.ndarray:
    """[B, 3, 3] transforms (float64) for poses [B, 3] = (degrees, x shift, y shift), as `input_transform`."""
    angle = np.radians(np.asarray(pose, dtype=np.float64)[:, 0])
    s, c = np.sin(angle), np.cos(angle)
    m = np.zeros((len(angle), 3, 3))
    m[:, 0, 0], m[:, 0, 1], m[:, 0, 2] = c, s, pose[:, 1]
    m[:, 1, 0], m[:, 1, 1], m[:, 1, 2] = -s, c, pose[:, 2]
    m[:, 2, 2] = 1
    return np.linalg.inv(m)


def is_stylegan3(G: nn.Module) -> bool:
    return isinstance(G, StyleGAN3Generator)


def input_transform_for(
    G: nn.Module, rotate_deg: float, translate: tuple[float, float], device: torch.device | str = "cpu"
) -> dict[str, torch.Tensor]:
    """Synthesis keyword arguments that rotate and translate G's picture: {} when there is
    nothing to do, UserError when G is not a StyleGAN3 model (StyleGAN2 has no input field)."""
    if rotate_deg == 0 and translate == (0.0, 0.0):
        return {}
    if not is_stylegan3(G):
        raise UserError(
            "rotation and translation need a StyleGAN3 model (its input is a Fourier field), not StyleGAN2"
        )
    matrix = torch.from_numpy(input_transform(rotate_deg, translate)).to(device=device, dtype=torch.float32)
    return {"transform": matrix}


class SynthesisInput(nn.Module):
    """ws[0] -> Fourier features on the first layer's canvas, rotated and translated by the
    learned affine, then by `transform` (the file's, or one per frame)."""

    def __init__(self, config: StyleGAN3Config) -> None:
        super().__init__()
        geo = config.input
        self.geometry = geo
        self.affine = FullyConnected(config.w_dim, 4, bias_init=0.0)
        self.weight = nn.Parameter(torch.randn(geo.channels, geo.channels))
        self.register_buffer("transform", torch.eye(3))
        self.register_buffer("freqs", torch.zeros(geo.channels, 2))
        self.register_buffer("phases", torch.zeros(geo.channels))

    def forward(self, w: torch.Tensor, transform: torch.Tensor | None = None) -> torch.Tensor:
        geo = self.geometry
        n = w.shape[0]
        t = self.affine(w)
        t = t / t[:, :2].norm(dim=1, keepdim=True)  # (cos, sin, tx, ty) of the learned pose
        cos, sin, tx, ty = t.unbind(dim=1)
        zero, one = torch.zeros_like(cos), torch.ones_like(cos)
        rotation = torch.stack([cos, -sin, zero, sin, cos, zero, zero, zero, one], dim=1).view(n, 3, 3)
        shift = torch.stack([one, zero, -tx, zero, one, -ty, zero, zero, one], dim=1).view(n, 3, 3)
        user = self.transform if transform is None else transform.to(w)
        m = rotation @ shift @ user.expand(n, 3, 3)
        phases = self.phases + (self.freqs @ m[:, :2, 2:]).squeeze(2)  # [N, C]
        freqs = self.freqs @ m[:, :2, :2]  # [N, C, 2]
        # A user transform can push frequencies past the band the first layer can carry: fade them.
        band = geo.sampling_rate / 2 - geo.bandwidth
        amplitudes = (1 - (freqs.norm(dim=2) - geo.bandwidth) / band).clamp(0, 1)
        width, height = geo.size
        cx, cy = geo.origin or (width / 2, height / 2)
        gx = (torch.arange(width, device=w.device, dtype=w.dtype) + 0.5 - cx) / geo.sampling_rate
        gy = (torch.arange(height, device=w.device, dtype=w.dtype) + 0.5 - cy) / geo.sampling_rate
        # sin(2 pi (fx x + fy y + phase)) as [N, C, H, W], built from its two 1-D parts.
        arg = (
            freqs[:, :, 0, None, None] * gx[None, None, None, :]
            + freqs[:, :, 1, None, None] * gy[None, None, :, None]
        )
        x = torch.sin((arg + phases[:, :, None, None]) * (2 * math.pi)) * amplitudes[:, :, None, None]
        weight = self.weight / math.sqrt(geo.channels)
        return torch.einsum("oc,nchw->nohw", weight, x)


class SynthesisLayer3(CastCache):
    """Modulated convolution (demodulated except in ToRGB), then the filtered leaky ReLU."""

    def __init__(self, layer: LayerGeometry, w_dim: int) -> None:
        super().__init__()
        self.geometry = layer
        self.affine = FullyConnected(w_dim, layer.in_channels, bias_init=1.0)
        k = layer.kernel
        self.weight = nn.Parameter(torch.randn(layer.out_channels, layer.in_channels, k, k))
        self.bias = nn.Parameter(torch.zeros(layer.out_channels))
        self.register_buffer("magnitude_ema", torch.ones([]))
        if layer.up_taps is not None:
            self.register_buffer("up_filter", torch.zeros(layer.up_taps))
        if layer.down_taps is not None:
            self.register_buffer("down_filter", torch.zeros(layer.down_taps))
        self.gain = 1.0 if layer.is_torgb else math.sqrt(2)
        self.slope = 1.0 if layer.is_torgb else 0.2

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        geo = self.geometry
        dtype = x.dtype
        styles = self.affine(w.to(torch.float32))
        weight = self.cached("w", torch.float32, self._normalised_weight)
        if geo.is_torgb:
            styles = styles / math.sqrt(geo.in_channels * geo.kernel**2)
            demod = None
        else:
            styles = styles * styles.square().mean(dim=1, keepdim=True).rsqrt()
            squares = self.cached("w_squares", torch.float32, lambda: weight.square().sum(dim=[2, 3]))
            demod = (styles.square() @ squares.T + 1e-8).rsqrt()  # [N, O]: each output's 1 / norm
        styles = styles * self.magnitude_ema.rsqrt()
        bias = self.cached("b", dtype, lambda: self.bias)
        padding = geo.kernel - 1  # a full convolution: the filters below crop what they don't need
        x = x.contiguous(memory_format=torch.channels_last)
        if x.shape[0] == 1:  # one frame: modulate the weight (smaller than the activation)
            w_mod = weight * styles[0, None, :, None, None]
            if demod is not None:
                w_mod = w_mod * demod[0, :, None, None, None]
            y = F.conv2d(x, w_mod.to(dtype), bias, padding=padding)
        else:  # a batch: scale the activation, one convolution with the shared weight for all frames
            shared = self.cached("w", dtype, lambda: weight)
            y = F.conv2d(
                x * styles.to(dtype)[:, :, None, None],
                shared,
                None if demod is not None else bias,
                padding=padding,
            )
            if demod is not None:
                y = torch.addcmul(bias[None, :, None, None], y, demod.to(dtype)[:, :, None, None])
        return self._resampler(y)(y, slope=self.slope, clamp=geo.conv_clamp)

    def _resampler(self, x: torch.Tensor) -> Resampler:
        key = (
            "resampler",
            x.dtype,
            tuple(x.shape[2:]),
        )  # in the folded-weight cache, so a move or cast drops it too
        found = self._cache.get(key)
        if found is None:
            geo = self.geometry
            found = Resampler.build(
                getattr(self, "up_filter", None),
                getattr(self, "down_filter", None),
                in_size=tuple(x.shape[2:]),
                up=geo.up,
                down=geo.down,
                padding=geo.padding,
                gain=self.gain,
                dtype=x.dtype,
                device=x.device,
            )
            self._cache[key] = found
        return found

    def _normalised_weight(self) -> torch.Tensor:
        if self.geometry.is_torgb:
            return self.weight
        return self.weight * self.weight.square().mean(dim=[1, 2, 3], keepdim=True).rsqrt()


class SynthesisNetwork3(nn.Module):
    """ws [N, num_ws, w_dim] -> image [N, C, R, R]; the signature of the StyleGAN2 network's."""

    def __init__(self, config: StyleGAN3Config) -> None:
        super().__init__()
        self.config = config
        self.block_resolutions = config.block_resolutions
        self.layer_names = [layer.name for layer in config.layers]
        self.input = SynthesisInput(config)
        for layer in config.layers:
            setattr(self, layer.name, SynthesisLayer3(layer, config.w_dim))

    def forward(
        self,
        ws: torch.Tensor,
        noise_mode: str = "const",
        *,
        stop_res: int | None = None,
        precision: str = "fp32",
        noise: dict[str, torch.Tensor] | None = None,
        noise_gain: torch.Tensor | float = 1.0,
        fused: bool | None = None,
        guard_nonfinite: bool = True,
        transform: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Render. StyleGAN3 has no noise inputs and one output level: `noise*` and `fused` are
        accepted for the common interface and ignored. `transform`: [3, 3] or per frame [N, 3, 3]
        replacing the file's input transform. `precision` as for StyleGAN2 ('mixed' runs the
        layers NVIDIA runs in fp16 in fp16 on CUDA, bf16 on a CPU)."""
        cfg = self.config
        if ws.shape[1:] != (cfg.num_ws, cfg.w_dim):
            raise ValueError(f"ws must be [N, {cfg.num_ws}, {cfg.w_dim}], got {list(ws.shape)}")
        if stop_res not in (None, cfg.img_resolution):
            raise ValueError(f"a StyleGAN3 model renders only at {cfg.img_resolution} px, not {stop_res}")
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, not {precision!r}")
        ws = ws.to(torch.float32)
        x = self.input(ws[:, 0], transform)
        for i, name in enumerate(self.layer_names):
            layer: SynthesisLayer3 = getattr(self, name)
            dtype = self._layer_dtype(layer.geometry, precision, ws.device)
            y = layer(x.to(dtype), ws[:, i + 1])
            if dtype != torch.float32 and guard_nonfinite and not _all_finite(y):
                y = layer(x.to(torch.float32), ws[:, i + 1])
            x = y
        return (x.to(torch.float32) * cfg.output_scale).contiguous()

    def _layer_dtype(self, layer: LayerGeometry, precision: str, device: torch.device) -> torch.dtype:
        half = torch.float16 if device.type == "cuda" else torch.bfloat16
        if precision == "fp32" or layer.is_torgb:
            return torch.float32
        if precision == "mixed":
            return half if layer.use_fp16 else torch.float32
        return torch.bfloat16 if precision == "bf16" else torch.float16


class StyleGAN3Generator(Generator):
    """z -> image for StyleGAN3: StyleGAN2's mapping network, interface and caches around the
    alias-free synthesis network."""

    synthesis_network = SynthesisNetwork3
    kind = "a StyleGAN3 generator"
