"""onnxruntime: the exported synthesis graph (one .onnx per stop resolution and batch size, kept in
the model's cache folder) run by the best execution provider installed: TensorRT, then CUDA,
then the CPU. TensorRT's engines are cached beside the graphs.

Inputs and outputs are bound to torch tensors (no host copies when both sides are on a GPU).
No provider has bf16 convolutions, so 'bf16' and 'mixed' (bf16 blocks on a CPU) stay on torch.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import torch

from installation.backends.cache import ModelCache
from installation.backends.graph import export_onnx, input_names, noise_layers, takes_transform
from installation.backends.graph_backend import GraphBackend, Runner, Shape, shape_program
from installation.backends.graph_mix import matmul_mixes
from installation.model.filtered_lrelu import sliced_windows
from installation.model.ops import biases_apart

PROVIDERS = {
    "tensorrt": "TensorrtExecutionProvider",
    "cuda": "CUDAExecutionProvider",
    "cpu": "CPUExecutionProvider",
}
PRECISIONS = ("fp32", "fp16")


def installed_providers() -> list[str]:
    """Our short names of the providers this onnxruntime has, best first ([] without onnxruntime)."""
    try:
        import onnxruntime
    except ImportError:
        return []
    available = set(onnxruntime.get_available_providers())
    return [short for short, full in PROVIDERS.items() if full in available]


def unavailable_reason(provider: str | None, precision: str) -> str | None:
    """Why `provider` (None: the best installed) cannot serve `precision`, or None when it can."""
    installed = installed_providers()
    if not installed:
        return "onnxruntime is not installed"
    if provider is not None and provider not in installed:
        return f"onnxruntime has no {PROVIDERS[provider]} here (installed: {', '.join(installed)})"
    if precision not in PRECISIONS:
        return f"onnxruntime runs {' and '.join(PRECISIONS)} graphs, not {precision} (no bf16 convolutions)"
    return None


def session_options():
    """Quiet sessions with torch's thread count, whose idle workers sleep instead of spinning
    (a spinning worker steals the core that torch's threads in the same process need)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    options.log_severity_level = 3  # errors only: warnings about unfoldable constants are noise
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


class OnnxRuntimeBackend(GraphBackend):
    suffix = ".onnx"

    def __init__(
        self, G, device, precision: str, *, cache: ModelCache, provider: str, background: bool = True
    ) -> None:
        super().__init__(G, device, precision, cache=cache, background=background)
        # Behind a GPU provider the CPU one takes any node the GPU lacks.
        self.providers = [provider] if provider == "cpu" else [provider, "cpu"]
        self.name = f"onnxruntime-{provider}"

    @staticmethod
    def write_graph(G, shape: Shape, precision: str, device: str, path: Path) -> None:
        # The forms onnxruntime runs fastest: ONNX has no strided views (StyleGAN3's resampling),
        # and a morph graph mixes its tensors as it runs.
        forms = [sliced_windows(), *((matmul_mixes(), biases_apart()) if shape.mix is not None else ())]
        with contextlib.ExitStack() as stack:
            for form in forms:
                stack.enter_context(form)
            program = shape_program(G, shape, precision, device)
        layers = noise_layers(G, shape.stop_res) if shape.noise_fields else ()
        export_onnx(program, path, layers, bool(shape.bends), takes_transform(G), shape.mix is not None)

    def _load(self, shape: Shape, path: Path) -> Runner:
        import onnxruntime

        session = onnxruntime.InferenceSession(str(path), session_options(), providers=self._provider_list())
        layers = noise_layers(self.G, shape.stop_res) if shape.noise_fields else ()
        names = input_names(layers, bool(shape.bends), takes_transform(self.G), shape.mix is not None)
        return _BoundRunner(session, self.device, names)

    def _provider_list(self) -> list[tuple[str, dict]]:
        device_id = self.device.index or 0
        options = {
            "tensorrt": {
                "device_id": device_id,
                "trt_engine_cache_enable": True,
                "trt_engine_cache_path": str(self.cache.folder / "tensorrt"),
                "trt_fp16_enable": self.precision == "fp16",
            },
            "cuda": {"device_id": device_id},
            "cpu": {},
        }
        return [(PROVIDERS[p], options[p]) for p in self.providers]


class _BoundRunner:
    """Runs a session with its inputs (in `names` order) and output bound to torch tensors' memory."""

    def __init__(self, session, device: torch.device, names: list[str]) -> None:
        self.session = session
        self.device = device
        self.names = names
        self.inputs = {i.name for i in session.get_inputs()}  # a model without noise has no gain input
        self.output = session.get_outputs()[0]

    def __call__(self, ws: torch.Tensor, *inputs: torch.Tensor) -> torch.Tensor:
        binding = self.session.io_binding()
        for name, tensor in zip(self.names, (ws, *inputs), strict=True):
            if name in self.inputs:
                self._bind(binding.bind_input, name, tensor)
        shape = [ws.shape[0], *self.output.shape[1:]]
        out = torch.empty(shape, dtype=torch.float32, device=self.device)
        self._bind(binding.bind_output, self.output.name, out)
        self.session.run_with_iobinding(binding)
        return out

    def _bind(self, bind, name: str, tensor: torch.Tensor) -> None:
        device = tensor.device
        bind(name, device.type, device.index or 0, np.float32, list(tensor.shape), tensor.data_ptr())
