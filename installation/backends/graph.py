"""The synthesis network as one exportable graph: ws and noise gain in, an image out.

One graph per stop resolution, batch size and precision (NVIDIA-style modulated convolutions
use the batch as the group count, which ONNX needs fixed; `dynamic_batch` switches to the
shared-weight formulation instead, which is slower at high resolutions). Noise is the model's
constant noise times the gain input (a gain of zero is exactly `noise_mode='none'`), or, in a
graph with `noise_fields`, one more input per noisy layer ([B, 1, H, W], in `noise_layers`
order) that replaces it: the animated noise of a show. A graph with `bends` (a show's bend
declaration, installation/model/bends.py) takes one more input, [bends, 1 + ARG_SLOTS]: each
bend's amount and arguments, so turning a knob feeds new numbers instead of building a new
graph. A graph with `mix` (a model morph, installation/backends/graph_mix.py) takes the
morph's amount [1] next. A StyleGAN3 graph (`takes_transform`) takes its input transform
[B, 3, 3] as its last input, so the rotate / translate knobs feed numbers too (a morph is
StyleGAN2's only: no graph takes both). Both the AOTInductor and the onnxruntime backend
start from `export_program`.
"""

from __future__ import annotations

import copy
import logging
import warnings
from pathlib import Path

import torch
from torch import nn

from installation.backends.graph_mix import MixedWeights, MixLayout
from installation.model.bends import ARG_SLOTS, BendLayout, BendTransforms

log = logging.getLogger(__name__)

INPUTS = ("ws", "noise_gain")
CHATTY_LOGGERS = ("torch.onnx", "onnxscript", "onnx_ir")  # log every pass of every export at INFO


class SynthesisGraph(nn.Module):
    """`forward(ws [B, num_ws, w_dim], noise_gain [B]) -> img`: float32 [B, C, H, W], or with
    `uint8` the displayable [B, H, W, C] uint8 pixels (NVIDIA's mapping of [-1, 1])."""

    def __init__(
        self,
        synthesis: nn.Module,
        stop_res: int,
        precision: str,
        *,
        uint8: bool = False,
        fused: bool | None = None,
        noise_layers: tuple[str, ...] = (),
        bends: BendTransforms | None = None,
        mix: MixedWeights | None = None,
        transform: bool = False,
    ) -> None:
        super().__init__()
        self.synthesis = synthesis
        self.stop_res = stop_res
        self.precision = precision
        self.uint8 = uint8
        self.fused = fused
        self.noise_layers = noise_layers
        self.bends = bends
        self.mix = mix
        self.transform = transform

    def forward(self, ws: torch.Tensor, noise_gain: torch.Tensor, *more: torch.Tensor) -> torch.Tensor:
        """`more`: the noise fields (in `noise_layers` order), then with `bends` their parameters,
        then with `mix` the morph's amount, with `transform` the input transforms."""
        fields = more[: len(self.noise_layers)]
        bend = None
        if self.bends is not None:
            params = more[len(self.noise_layers)]

            def bend(name: str, x: torch.Tensor) -> torch.Tensor:
                return self.bends.apply(name, x, params)

        synthesis = self.synthesis if self.mix is None else self.mix.bound(self.synthesis, more[-1])
        img = synthesis(
            ws,
            noise_mode="const",
            stop_res=self.stop_res,
            precision=self.precision,
            noise_gain=noise_gain,
            noise=dict(zip(self.noise_layers, fields, strict=True)) or None,
            fused=self.fused,
            guard_nonfinite=False,
            # StyleGAN3 has no layers to bend, StyleGAN2 no input to transform
            **({"transform": more[-1]} if self.transform else {"bend": bend}),
        )
        if self.uint8:
            return (img * 127.5 + 128).clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1)
        return img


def noise_layers(G: nn.Module, stop_res: int) -> tuple[str, ...]:
    """Names of the layers with noise up to `stop_res` ('b4.conv1', 'b8.conv0', ...)."""
    if not G.config.use_noise:
        return ()  # StyleGAN3, and StyleGAN2 models trained without noise
    names = []
    for res in G.synthesis.block_resolutions:
        if res > stop_res:
            break
        block = getattr(G.synthesis, f"b{res}")
        names += [
            f"b{res}.{conv}"
            for conv in ("conv0", "conv1")
            if getattr(getattr(block, conv, None), "use_noise", 0)
        ]
    return tuple(names)


def input_names(
    layers: tuple[str, ...], bends: bool = False, transform: bool = False, mix: bool = False
) -> list[str]:
    """The graph's input names: ws, noise_gain, one noise field per layer, then (with `bends`)
    the bends' parameters, (with `mix`) the morph's amount, (with `transform`) the input
    transforms."""
    names = [*INPUTS, *(f"noise.{name}" for name in layers), *(["bends"] if bends else [])]
    return names + (["mix"] if mix else []) + (["transform"] if transform else [])


def takes_transform(G: nn.Module) -> bool:
    """Whether G's graphs take the input transform [B, 3, 3] (StyleGAN3's rotation and shift)."""
    return G.config.architecture == "stylegan3"


def file_transforms(G: nn.Module, batch: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """The model file's own input transform for each of `batch` frames, [batch, 3, 3] float32."""
    own = G.synthesis.input.transform.to(device, torch.float32)
    return own.expand(batch, 3, 3).contiguous()


def example_inputs(
    G: nn.Module, batch: int, device: torch.device | str = "cpu"
) -> tuple[torch.Tensor, torch.Tensor]:
    """ws from the mapping network (realistic magnitudes for tracing) and unit noise gains."""
    generator = torch.Generator().manual_seed(0)
    z = torch.randn(batch, G.z_dim, generator=generator)
    with torch.no_grad():
        c = torch.zeros(batch, G.c_dim) if G.c_dim else None
        ws = G.mapping(z, c).to(device)
    return ws, torch.ones(batch, device=device)


def export_program(
    G: nn.Module,
    stop_res: int,
    batch: int = 1,
    precision: str = "fp32",
    *,
    uint8: bool = False,
    dynamic_batch: bool = False,
    noise_fields: bool = False,
    bends: tuple[BendLayout, ...] = (),
    mix: MixLayout | None = None,
    device: torch.device | str = "cpu",
) -> torch.export.ExportedProgram:
    """torch.export of the synthesis network up to `stop_res`; with `noise_fields`, taking the
    noise of every layer in `noise_layers(G, stop_res)` as inputs; with `bends`, those bends'
    parameters next; with `mix`, a morph's amount next; a StyleGAN3 network takes its input
    transforms last.

    Traces a copy of the network: export swaps a module's tensors while it traces, which must
    not disturb a render running on the original in another thread.
    """
    _quiet_exporters()
    synthesis = copy.deepcopy(G.synthesis).to(device)
    # torch.export specialises a size-1 axis, so a dynamic batch is traced at 2
    ws, gain = example_inputs(G, max(batch, 2) if dynamic_batch else batch, device)
    layers = noise_layers(G, stop_res) if noise_fields else ()
    fields = [
        torch.randn(ws.shape[0], 1, *synthesis.get_submodule(name).size, device=device) for name in layers
    ]
    transforms = BendTransforms(bends, G).to(device) if bends else None
    moved = [file_transforms(G, ws.shape[0], device)] if takes_transform(G) else []
    module = SynthesisGraph(
        synthesis,
        stop_res,
        precision,
        uint8=uint8,
        fused=False if dynamic_batch else None,
        noise_layers=layers,
        bends=transforms,
        mix=None if mix is None else MixedWeights(mix, synthesis).to(device),
        transform=bool(moved),
    )
    # Traced with every amount non-zero; the graph selects on the amounts, never branches.
    params = [torch.full((len(bends), 1 + ARG_SLOTS), 0.5, device=device)] if bends else []
    amount = [torch.full((1,), 0.5, device=device)] if mix is not None else []
    inputs = (ws, gain, *fields, *params, *amount, *moved)
    with torch.no_grad():
        module(*inputs)  # fills the folded-weight caches, so export reads them as constants
        dims = None
        if dynamic_batch:
            b = torch.export.Dim("batch", min=1, max=1024)
            dims = (
                *({0: b} for _ in (ws, gain, *fields)),
                *(None for _ in (*params, *amount)),
                *({0: b} for _ in moved),
            )
        return torch.export.export(module, inputs, dynamic_shapes=dims, strict=False)


def export_onnx(
    program: torch.export.ExportedProgram,
    path: str | Path,
    layers: tuple[str, ...] = (),
    bends: bool = False,
    transform: bool = False,
    mix: bool = False,
) -> Path:
    """Write the program as ONNX with torch's dynamo exporter (the TorchScript one is not used);
    `layers`: the noise layers whose fields the program takes; `bends`, `transform`, `mix`:
    whether it takes bends, input transforms, a morph's amount."""
    _quiet_exporters()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    onnx_program = torch.onnx.export(
        program,
        input_names=input_names(layers, bends, transform, mix),
        output_names=["img"],
        dynamo=True,
        verbose=False,
    )
    onnx_program.save(str(tmp))
    tmp.replace(path)  # readers never see a half-written graph
    return path


def _quiet_exporters() -> None:
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
    # torch's own pytree code warns about its own deprecated API while exporting
    warnings.filterwarnings("ignore", message=".*LeafSpec.*", category=FutureWarning)
