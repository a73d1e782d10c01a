"""The layers of a StyleGAN2 generator, named like NVIDIA's so state dicts map one to one."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from installation.model.ops import (
    SQRT2,
    kernel_squares,
    lrelu_clamp_,
    modulated_conv2d,
    prepare_weight,
    upsample2d,
)
from installation.model.shapes import assert_shape

SQUARES = "w^2"  # a modulated convolution's weights squared, summed over the kernel [Cout, Cin]


class CastCache(nn.Module):
    """Keeps weights with their gains folded in, per dtype, so no frame pays for the scaling.
    With `fold` set, `fold(layer, name, dtype, make)` makes them on every call instead: a morph
    graph's mixed layers, whose weights the graph computes (installation/backends/graph_mix.py)."""

    fold: Callable[..., torch.Tensor] | None = None

    def __init__(self) -> None:
        super().__init__()
        self._cache: dict[tuple, torch.Tensor] = {}

    def cached(
        self, name: str, dtype: torch.dtype, make: Callable[[], torch.Tensor], *folded: float
    ) -> torch.Tensor:
        """`make()` cast to `dtype`, computed once. `folded` must list every number `make` folds
        in (gains): they are part of the key, so a caller passing another gain gets its own entry
        rather than a weight scaled for someone else."""
        if self.fold is not None:
            return self.fold(self, name, dtype, make)
        key = (name, dtype, *folded)
        entry = self._cache.get(key)
        if entry is None:
            with torch.no_grad():
                entry = make().to(dtype).contiguous()
            self._cache[key] = entry
        return entry

    def keep(self, name: str, dtype: torch.dtype, tensor: torch.Tensor) -> None:
        """Store what `cached(name, dtype, ...)` (with no gains folded) will return, made elsewhere
        (a morph's demodulation sums, mixed from kept terms)."""
        self._cache[(name, dtype)] = tensor

    def clear_cache(self) -> None:
        for module in self.modules():
            if isinstance(module, CastCache):
                module._cache.clear()

    def _apply(self, fn, recurse=True):  # a move or cast invalidates folded weights
        self.clear_cache()
        return super()._apply(fn, recurse)


class FullyConnected(CastCache):
    """Equalised-learning-rate linear layer: weights stored unscaled, scaled at run time."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        *,
        activation: str = "linear",
        lr_multiplier: float = 1.0,
        bias_init: float = 0.0,
    ) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / lr_multiplier)
        self.bias = nn.Parameter(torch.full([out_features], float(bias_init)))
        self.activation = activation
        self.weight_gain = lr_multiplier / math.sqrt(in_features)
        self.bias_gain = lr_multiplier

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        assert_shape(x, (None, self.weight.shape[1]), "FullyConnected input")
        weight = self.cached("w", x.dtype, lambda: self.weight * self.weight_gain, self.weight_gain)
        bias = self.cached("b", x.dtype, lambda: self.bias * self.bias_gain, self.bias_gain)
        x = F.linear(x, weight, bias)
        if self.activation == "lrelu":
            x = F.leaky_relu(x, 0.2).mul_(SQRT2)
        return x


class SynthesisLayer(CastCache):
    """Modulated 3x3 convolution + noise + bias + leaky ReLU (+ clamp), optionally up-sampling x2."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        w_dim: int,
        size: tuple[int, int],
        *,
        up: bool = False,
        use_noise: bool = True,
        conv_clamp: float | None = None,
    ) -> None:
        super().__init__()
        self.affine = FullyConnected(w_dim, in_channels, bias_init=1.0)
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, 3, 3))
        self.bias = nn.Parameter(torch.zeros(out_channels))
        self.up = up
        self.use_noise = use_noise
        self.conv_clamp = conv_clamp
        self.size = size
        if use_noise:
            self.noise_strength = nn.Parameter(torch.zeros([]))
            self.register_buffer("noise_const", torch.randn(size))

    def forward(
        self,
        x: torch.Tensor,
        w: torch.Tensor,
        kernel: torch.Tensor,
        *,
        noise_mode: str = "const",
        noise: torch.Tensor | None = None,
        noise_gain: torch.Tensor | float = 1.0,
        gain: float = 1.0,
        fused: bool | None = None,
    ) -> torch.Tensor:
        n = x.shape[0]
        in_h, in_w = (s // 2 for s in self.size) if self.up else self.size
        assert_shape(x, (n, self.weight.shape[1], in_h, in_w), "SynthesisLayer x")
        assert_shape(w, (n, self.affine.weight.shape[1]), "SynthesisLayer w")
        if noise is not None:
            assert_shape(noise, (None, 1, *self.size), "SynthesisLayer noise")
        act_gain = SQRT2 * gain
        styles = self.affine(w.to(x.dtype))
        bias = self.cached("b", x.dtype, lambda: self.bias * act_gain, act_gain)
        weight = self.cached("w", x.dtype, lambda: prepare_weight(self.weight, x.dtype))
        weight_sq = self.cached(SQUARES, x.dtype, lambda: kernel_squares(weight))
        x = modulated_conv2d(
            x,
            weight,
            styles,
            up=self.up,
            kernel=kernel,
            fused=fused,
            gain=act_gain,
            bias=bias,
            weight_sq=weight_sq,
        )
        assert x.shape[2:] == self.size, (x.shape, self.size)
        if self.use_noise and noise_mode != "none":
            if noise is None:
                noise = (
                    self.noise_const[None, None]
                    if noise_mode == "const"
                    else torch.randn(x.shape[0], 1, *self.size, device=x.device, dtype=x.dtype)
                )
            strength = self.noise_strength * (noise_gain * act_gain)
            if isinstance(strength, torch.Tensor) and strength.ndim == 1:
                strength = strength[:, None, None, None]
            x.add_((noise * strength).to(x.dtype))
        return lrelu_clamp_(x, None if self.conv_clamp is None else self.conv_clamp * gain)


class ToRGB(CastCache):
    """Modulated 1x1 convolution to image channels, without demodulation."""

    def __init__(self, in_channels: int, img_channels: int, w_dim: int, conv_clamp: float | None) -> None:
        super().__init__()
        self.affine = FullyConnected(w_dim, in_channels, bias_init=1.0)
        self.weight = nn.Parameter(torch.randn(img_channels, in_channels, 1, 1))
        self.bias = nn.Parameter(torch.zeros(img_channels))
        self.conv_clamp = conv_clamp
        self.weight_gain = 1 / math.sqrt(in_channels)

    def forward(self, x: torch.Tensor, w: torch.Tensor, fused: bool | None = None) -> torch.Tensor:
        assert_shape(x, (x.shape[0], self.weight.shape[1], None, None), "ToRGB x")
        assert_shape(w, (x.shape[0], self.affine.weight.shape[1]), "ToRGB w")
        styles = self.affine(w.to(x.dtype)) * self.weight_gain
        weight = self.cached("w", x.dtype, lambda: self.weight)
        x = modulated_conv2d(x, weight, styles, demodulate=False, fused=fused, bias=self.bias)
        return x if self.conv_clamp is None else x.clamp_(-self.conv_clamp, self.conv_clamp)


class SkipUp(CastCache):
    """The resnet generator's shortcut: 1x1 convolution (no bias) and x2 up-sampling."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, 1, 1))
        self.weight_gain = 1 / math.sqrt(in_channels)

    def forward(self, x: torch.Tensor, kernel: torch.Tensor, gain: float) -> torch.Tensor:
        assert_shape(x, (None, self.weight.shape[1], None, None), "SkipUp x")
        scale = self.weight_gain * gain
        weight = self.cached("w", x.dtype, lambda: self.weight * scale, scale)
        # A 1x1 convolution commutes with the up-sampler; convolving first touches fewer pixels.
        return upsample2d(F.conv2d(x, weight), kernel)
