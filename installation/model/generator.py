"""StyleGAN2 generator: mapping network + synthesis network, equal in function to NVIDIA's."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

from installation.errors import CheckpointError
from installation.model.config import GeneratorConfig
from installation.model.layers import CastCache, FullyConnected, SkipUp, SynthesisLayer, ToRGB
from installation.model.ops import upsample2d
from installation.model.shapes import assert_shape

NOISE_MODES = ("const", "random", "none")
PRECISIONS = ("fp32", "mixed", "bf16", "fp16")


def _normalize_2nd_moment(x: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    return x * (x.square().mean(dim=1, keepdim=True) + eps).rsqrt()


class MappingNetwork(nn.Module):
    """z (and class label) -> w, broadcast to every layer, with truncation towards `w_avg`."""

    def __init__(self, config: GeneratorConfig) -> None:
        super().__init__()
        self.z_dim, self.c_dim, self.num_ws = config.z_dim, config.c_dim, config.num_ws
        if config.c_dim:
            self.embed = FullyConnected(config.c_dim, config.embed_features)
        widths = config.mapping_features
        for i in range(config.mapping_layers):
            layer = FullyConnected(
                widths[i],
                widths[i + 1],
                activation=config.mapping_activation,
                lr_multiplier=config.mapping_lr_multiplier,
            )
            setattr(self, f"fc{i}", layer)
        self.num_layers = config.mapping_layers
        self.register_buffer("w_avg", torch.zeros(config.w_dim))

    def forward(
        self,
        z: torch.Tensor,
        c: torch.Tensor | None = None,
        truncation_psi: float = 1.0,
        truncation_cutoff: int | None = None,
    ) -> torch.Tensor:
        assert z.ndim == 2 and z.shape[1] == self.z_dim, (z.shape, self.z_dim)
        x = _normalize_2nd_moment(z.to(torch.float32))
        if self.c_dim:
            if c is None or c.shape != (z.shape[0], self.c_dim):
                raise ValueError(f"this model is conditional: it needs labels of shape [N, {self.c_dim}]")
            x = torch.cat([x, _normalize_2nd_moment(self.embed(c.to(torch.float32)))], dim=1)
        for i in range(self.num_layers):
            x = getattr(self, f"fc{i}")(x)
        ws = x[:, None, :].repeat(1, self.num_ws, 1)
        if truncation_psi != 1:
            cut = self.num_ws if truncation_cutoff is None else truncation_cutoff
            ws[:, :cut] = self.w_avg.lerp(ws[:, :cut], truncation_psi)
        return ws


class SynthesisBlock(nn.Module):
    """One resolution: (up-sampling conv, conv) and, for 'skip', an RGB image added to the running one."""

    def __init__(self, config: GeneratorConfig, res: int) -> None:
        super().__init__()
        self.res = res
        self.architecture = config.architecture
        self.is_first = res == 4
        self.is_last = res == config.img_resolution
        h0, w0 = config.init_size
        size = (h0 * res // 4, w0 * res // 4)
        self.size, self.in_size = size, (size[0] // 2, size[1] // 2)
        # A tile renders a window of each of the canvas's layers: conv0 up-samples the window
        # below (`up_size`), `crop` cuts this block's window from that, `visible` the picture.
        self.up_size, self.crop, self.visible = size, None, None
        if config.tile is not None:
            top, left, *window = config.tile.computed_at(res)
            self.size = tuple(window)
            v_top, v_left, *shown = config.tile.visible_at(res)
            self.visible = (v_top - top, v_left - left, *shown)
            if not self.is_first:
                below_top, below_left, *below = config.tile.computed_at(res // 2)
                self.in_size, self.up_size = tuple(below), (2 * below[0], 2 * below[1])
                self.crop = (top - 2 * below_top, left - 2 * below_left, *window)
            h0, w0 = self.size
        self.in_channels = None if self.is_first else config.channels[res // 2]
        self.img_channels, self.w_dim = config.img_channels, config.w_dim
        out_ch = config.channels[res]
        clamp = config.conv_clamp
        kw = dict(use_noise=config.use_noise, conv_clamp=clamp)
        if self.is_first:
            self.const = nn.Parameter(torch.randn(out_ch, h0, w0))
        else:
            in_ch = self.in_channels
            self.conv0 = SynthesisLayer(in_ch, out_ch, config.w_dim, self.up_size, up=True, **kw)
            if self.architecture == "resnet":
                self.skip = SkipUp(in_ch, out_ch)
        self.conv1 = SynthesisLayer(out_ch, out_ch, config.w_dim, self.size, **kw)
        self.has_rgb = self.is_last or self.architecture == "skip"
        if self.has_rgb:
            self.torgb = ToRGB(out_ch, config.img_channels, config.w_dim, clamp)
        self.num_conv = 1 if self.is_first else 2
        # The file's own filter (NVIDIA's default is [1,3,3,1]); rebuilt from the config, not saved.
        kernel = torch.tensor(config.resample_filter, dtype=torch.float32)
        self.register_buffer("resample_filter", kernel, persistent=False)

    def forward(
        self,
        x: torch.Tensor | None,
        img: torch.Tensor | None,
        ws: torch.Tensor,
        dtype: torch.dtype,
        *,
        noise_mode: str,
        noise: dict[str, torch.Tensor] | None,
        noise_gain: torch.Tensor | float,
        fused: bool | None,
        bend: Callable[[str, torch.Tensor], torch.Tensor] | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """ws [N, num_conv + 1, w_dim]: this block's slice (the last w also feeds the next block).
        `bend(layer name, activations)`, when given, may replace each layer's output
        (installation/model/bends.py)."""
        bend = bend or _unbent
        n = ws.shape[0]
        assert_shape(ws, (n, self.num_conv + 1, self.w_dim), f"b{self.res} ws")
        if not self.is_first:
            assert_shape(x, (n, self.in_channels, *self.in_size), f"b{self.res} x")
        if img is not None:
            assert_shape(img, (n, self.img_channels, *self.in_size), f"b{self.res} img")
        kernel = self.resample_filter
        layer_kw = dict(noise_mode=noise_mode, noise_gain=noise_gain, fused=fused)
        noise = noise or {}
        if self.is_first:
            x = self.const.to(dtype)[None].expand(ws.shape[0], -1, -1, -1)
            x = self.conv1(x, ws[:, 0], kernel, noise=noise.get(f"b{self.res}.conv1"), **layer_kw)
            x = bend(f"b{self.res}.conv1", x)
        else:
            x = x.to(dtype)
            if self.architecture == "resnet":
                y = self._cropped(self.skip(x, kernel, gain=math.sqrt(0.5)))
                x = self.conv0(x, ws[:, 0], kernel, noise=noise.get(f"b{self.res}.conv0"), **layer_kw)
                x = bend(f"b{self.res}.conv0", self._cropped(x))
                x = self.conv1(
                    x,
                    ws[:, 1],
                    kernel,
                    noise=noise.get(f"b{self.res}.conv1"),
                    gain=math.sqrt(0.5),
                    **layer_kw,
                )
                x = bend(f"b{self.res}.conv1", y.add_(x))
            else:
                x = self.conv0(x, ws[:, 0], kernel, noise=noise.get(f"b{self.res}.conv0"), **layer_kw)
                x = bend(f"b{self.res}.conv0", self._cropped(x))
                x = self.conv1(x, ws[:, 1], kernel, noise=noise.get(f"b{self.res}.conv1"), **layer_kw)
                x = bend(f"b{self.res}.conv1", x)
        if img is not None:
            img = self._cropped(upsample2d(img, kernel))
        if self.has_rgb:
            rgb = self.torgb(x, ws[:, self.num_conv], fused=fused).to(torch.float32)
            img = rgb if img is None else img.add_(rgb)
        return x, img

    def _cropped(self, x: torch.Tensor) -> torch.Tensor:
        """A tile's window of the up-sampled window below (x itself for a whole canvas)."""
        if self.crop is None:
            return x
        top, left, height, width = self.crop
        return x[:, :, top : top + height, left : left + width]

    def picture(self, img: torch.Tensor) -> torch.Tensor:
        """What a render stopping at this block shows: a tile's own part of its window."""
        if self.visible is None:
            return img
        top, left, height, width = self.visible
        return img[:, :, top : top + height, left : left + width]


class SynthesisNetwork(nn.Module):
    """ws [N, num_ws, w_dim] -> image [N, C, H, W], optionally stopping at an earlier block."""

    def __init__(self, config: GeneratorConfig) -> None:
        super().__init__()
        self.config = config
        self.block_resolutions = config.block_resolutions
        for res in self.block_resolutions:
            setattr(self, f"b{res}", SynthesisBlock(config, res))

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
        bend: Callable[[str, torch.Tensor], torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """Render. `precision`: 'fp32'; 'mixed' runs the model's fp16 blocks in fp16 on CUDA and
        bf16 on a CPU (NVIDIA's choice of blocks); 'bf16' / 'fp16' run every block in that type.
        A half-precision block that produces NaN/Inf is recomputed in fp32, so none reaches the
        screen. `noise`: per-layer unit noise (key 'b64.conv0' etc.) replacing const/random.
        `bend`: a network-bending hook on every layer's output (installation/model/bends.py).
        """
        cfg = self.config
        if noise_mode not in NOISE_MODES:
            raise ValueError(f"noise_mode must be one of {NOISE_MODES}, not {noise_mode!r}")
        if ws.shape[1:] != (cfg.num_ws, cfg.w_dim):
            raise ValueError(f"ws must be [N, {cfg.num_ws}, {cfg.w_dim}], got {list(ws.shape)}")
        stop = cfg.img_resolution if stop_res is None else stop_res
        if stop not in self.block_resolutions:
            raise ValueError(f"stop_res must be one of {self.block_resolutions}, not {stop}")
        if stop != cfg.img_resolution and cfg.architecture != "skip":
            raise ValueError(
                f"partial output needs the 'skip' architecture; this model is '{cfg.architecture}'"
            )
        ws = ws.to(torch.float32)
        x = img = None
        for res in self.block_resolutions:
            block: SynthesisBlock = getattr(self, f"b{res}")
            dtype = self._block_dtype(res, precision, ws.device)
            i = cfg.ws_index(res)
            args = (ws[:, i : i + block.num_conv + 1],)
            kw = dict(noise_mode=noise_mode, noise=noise, noise_gain=noise_gain, fused=fused, bend=bend)
            x_new, img_new = block(x, img, *args, dtype, **kw)
            if dtype != torch.float32 and guard_nonfinite and not _all_finite(x_new, img_new):
                x_new, img_new = block(x, img, *args, torch.float32, **kw)
            x, img = x_new, img_new
            if res == stop:
                break
        return block.picture(img)

    def _block_dtype(self, res: int, precision: str, device: torch.device) -> torch.dtype:
        if precision == "fp32":
            return torch.float32
        half = torch.float16 if device.type == "cuda" else torch.bfloat16
        if precision == "mixed":
            return half if res in self.config.fp16_resolutions else torch.float32
        if precision == "bf16":
            return torch.bfloat16
        if precision == "fp16":
            return torch.float16
        raise ValueError(f"precision must be one of {PRECISIONS}, not {precision!r}")


def _unbent(name: str, x: torch.Tensor) -> torch.Tensor:
    return x


def _listed(names: list[str], most: int = 4) -> str:
    return ", ".join(names[:most]) + (" ..." if len(names) > most else "")


def _all_finite(*tensors: torch.Tensor | None) -> bool:
    return all(t is None or bool(torch.isfinite(t).all()) for t in tensors)


class Generator(nn.Module):
    """z -> image. `mapping` and `synthesis` can be called separately, as in NVIDIA's code.
    Subclasses name another synthesis network (StyleGAN3's) and keep the rest."""

    synthesis_network: type[nn.Module] = SynthesisNetwork
    kind = "a StyleGAN2 generator"  # for load errors

    def __init__(self, config: GeneratorConfig) -> None:
        super().__init__()
        self.config = config
        self.z_dim, self.c_dim, self.w_dim = config.z_dim, config.c_dim, config.w_dim
        self.num_ws, self.img_resolution = config.num_ws, config.img_resolution
        self.mapping = MappingNetwork(config)
        self.synthesis = self.synthesis_network(config)

    @classmethod
    def from_state_dict(cls, config: GeneratorConfig, state: dict[str, torch.Tensor]) -> "Generator":
        """Build and load strictly: every tensor of the model must be given, and nothing else
        (except StyleGAN2's recomputable `resample_filter` buffers)."""
        given = {k: v for k, v in state.items() if not k.endswith("resample_filter")}
        return load_strict(cls(config), given, cls.kind)

    def forward(
        self,
        z: torch.Tensor,
        c: torch.Tensor | None = None,
        truncation_psi: float = 1.0,
        truncation_cutoff: int | None = None,
        **synthesis_kwargs,
    ) -> torch.Tensor:
        ws = self.mapping(z, c, truncation_psi=truncation_psi, truncation_cutoff=truncation_cutoff)
        return self.synthesis(ws, **synthesis_kwargs)

    def clear_cache(self) -> None:
        """Drop folded weights; call after changing parameters in place."""
        for module in self.modules():
            if isinstance(module, CastCache):
                module._cache.clear()


def load_strict(G: nn.Module, state: dict[str, torch.Tensor], what: str) -> nn.Module:
    """Load `state` into `G` when it holds exactly G's tensors in G's shapes; CheckpointError
    (one line, naming `what` G is) otherwise. Returns G in eval mode without gradients."""
    own = G.state_dict()
    missing = sorted(set(own) - set(state))
    unknown = sorted(set(state) - set(own))
    if missing or unknown:
        parts = [
            f"{label} {_listed(names)}"
            for label, names in (("missing", missing), ("unexpected", unknown))
            if names
        ]
        raise CheckpointError(f"generator tensors do not match {what}: {'; '.join(parts)}")
    for key, value in state.items():
        if tuple(value.shape) != tuple(own[key].shape):
            raise CheckpointError(
                f"tensor {key} has shape {list(value.shape)}, expected {list(own[key].shape)}"
            )
    G.load_state_dict({k: v.to(torch.float32) for k, v in state.items()}, strict=False)
    return G.requires_grad_(False).eval()
