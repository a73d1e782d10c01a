"""StyleGAN3 (`training.networks_stylegan3`, configs T/R) in an NVlabs network pickle: the geometry
its constructors stored (spec §1.8), as plain data for `StyleGAN3Config.from_state_dict`."""

from __future__ import annotations

from typing import Any

import numpy as np

from installation.checkpoints.safe_pickle import PersistentRecord
from installation.errors import CheckpointError

CLASSES = {
    "Generator",
    "MappingNetwork",
    "SynthesisNetwork",
    "SynthesisInput",
    "SynthesisLayer",
    "FullyConnectedLayer",
}
_LAYER_ATTRIBUTES = ("in_size", "out_size", "up_factor", "down_factor", "padding", "is_torgb")
_INPUT_ATTRIBUTES = ("size", "sampling_rate", "bandwidth")


def geometry(records: dict[str, PersistentRecord]) -> dict[str, Any]:
    """{'input': {...}, 'layers': [{...}, ...], 'output_scale': float} from the synthesis records."""
    synthesis = _state(records, "synthesis.", "SynthesisNetwork")
    names = synthesis.get("layer_names")
    if not isinstance(names, list | tuple) or not names:
        raise CheckpointError("StyleGAN3 synthesis network has no layer_names")
    inp = _state(records, "synthesis.input.", "SynthesisInput")
    layers = []
    for name in names:
        state = _state(records, f"synthesis.{name}.", "SynthesisLayer")
        layer = {"name": str(name)} | _attributes(state, _LAYER_ATTRIBUTES, f"layer {name}")
        layer["conv_clamp"] = plain(state.get("conv_clamp"))
        layer["use_fp16"] = bool(plain(state.get("use_fp16", False)))
        layers.append(layer)
    return {
        "input": _attributes(inp, _INPUT_ATTRIBUTES, "input"),
        "layers": layers,
        "output_scale": float(plain(synthesis.get("output_scale", 0.25))),
    }


def _state(records: dict[str, PersistentRecord], prefix: str, class_name: str) -> dict:
    record = records.get(prefix)
    if record is None or record.class_name != class_name:
        found = "nothing" if record is None else f"a {record.class_name}"
        raise CheckpointError(f"StyleGAN3 generator has {found} at {prefix.rstrip('.')}, not a {class_name}")
    return record.state


def _attributes(state: dict, names: tuple[str, ...], where: str) -> dict[str, Any]:
    missing = [n for n in names if n not in state]
    if missing:
        raise CheckpointError(f"StyleGAN3 {where} stores no {', '.join(missing)}")
    return {n: plain(state[n]) for n in names}


def plain(value: Any) -> Any:
    """numpy scalars and arrays (how the constructors stored sizes and rates) as Python values,
    option groups as plain dicts."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value
