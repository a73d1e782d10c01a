"""NVlabs PyTorch network pickles (stylegan2-ada-pytorch, the stylegan3 repo, Autolume, forks): `G_ema`.

The pickle holds a tree of persistent-module records (spec §1.2); walking `_parameters`,
`_buffers` and `_modules` gives exactly `G_ema.state_dict()`, and the attributes each constructor
stored give the options that tensors don't show (spec §1.9).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import torch

from installation.checkpoints import nvlabs_sg3
from installation.checkpoints.checkpoint import Checkpoint, as_float32, single_filter, unsupported
from installation.checkpoints.safe_pickle import PersistentRecord
from installation.errors import CheckpointError

FORMAT = "nvlabs-pytorch"

_STYLEGAN2_CLASSES = {
    "Generator",
    "MappingNetwork",
    "SynthesisNetwork",
    "SynthesisBlock",
    "SynthesisLayer",
    "ToRGBLayer",
    "FullyConnectedLayer",
    "Conv2dLayer",
}
_STYLEGAN3_MARKERS = re.compile(r"synthesis\.(input|L\d+_)")


def convert(top: dict) -> Checkpoint:
    G = top["G_ema"]
    if not isinstance(G, PersistentRecord):
        raise CheckpointError(f"G_ema in this pickle is a {type(G).__name__}, not a network")
    records = dict(_walk(G, ""))
    state = _state(records)
    init_kwargs = G.state.get("_init_kwargs") or {}
    if any(_STYLEGAN3_MARKERS.match(name) for name in state):
        return _stylegan3(records, state, init_kwargs)
    foreign = sorted({r.class_name for r in records.values()} - _STYLEGAN2_CLASSES)
    if foreign:
        raise unsupported(
            f"a network pickle whose generator has classes {', '.join(foreign)} "
            "(StyleGAN-XL, Projected GAN or another non-StyleGAN2 model)"
        )
    flat = "channel_base" in init_kwargs  # the stylegan3 repo passes synthesis options unnested
    layout = "stylegan3-repo StyleGAN2" if flat else "stylegan2-ada-pytorch"
    return Checkpoint(
        format=FORMAT,
        state=state,
        hints=_hints(records, init_kwargs, flat),
        description=f"NVlabs PyTorch network pickle ({layout} layout), G_ema",
        init_kwargs=nvlabs_sg3.plain(init_kwargs),
    )


def _stylegan3(records: dict[str, PersistentRecord], state: dict, init_kwargs: dict) -> Checkpoint:
    foreign = sorted({r.class_name for r in records.values()} - nvlabs_sg3.CLASSES)
    if foreign:
        raise unsupported(f"a StyleGAN3-like network pickle with classes {', '.join(foreign)} (a fork)")
    return Checkpoint(
        format=FORMAT,
        state=state,
        hints={"geometry": nvlabs_sg3.geometry(records), **_mapping_hints(records, init_kwargs)},
        description="NVlabs PyTorch network pickle (stylegan3 repo, StyleGAN3 layout), G_ema",
        family="stylegan3",
        init_kwargs=nvlabs_sg3.plain(init_kwargs),
    )


def _walk(record: PersistentRecord, prefix: str) -> Iterator[tuple[str, PersistentRecord]]:
    yield prefix, record
    for name, child in (record.state.get("_modules") or {}).items():
        if isinstance(child, PersistentRecord):
            yield from _walk(child, f"{prefix}{name}.")
        elif child is not None:
            raise CheckpointError(f"module {prefix}{name} is a {type(child).__name__}, not a network record")


def _state(records: dict[str, PersistentRecord]) -> dict[str, torch.Tensor]:
    state = {}
    for prefix, record in records.items():
        for group in ("_parameters", "_buffers"):
            for name, value in (record.state.get(group) or {}).items():
                # None marks an absent optional tensor; the resample filter is an option (hints).
                if value is not None and name != "resample_filter":
                    state[prefix + name] = as_float32(value, prefix + name)
    return state


def _hints(records: dict[str, PersistentRecord], init_kwargs: dict, flat: bool) -> dict[str, Any]:
    """Options from the attributes the constructors stored; `_init_kwargs` only where one is missing."""
    blocks = [r.state for r in records.values() if r.class_name == "SynthesisBlock"]
    layers = [r.state for r in records.values() if r.class_name in ("SynthesisLayer", "ToRGBLayer")]

    def option(group: str, name: str, default: Any) -> Any:
        return _option(init_kwargs, group, name, default)

    if blocks and all("architecture" in b for b in blocks):
        architecture = blocks[-1]["architecture"]
    else:
        architecture = option("synthesis_kwargs", "architecture", "skip")
    clamps = {layer["conv_clamp"] for layer in layers if "conv_clamp" in layer}
    if len(clamps) > 1:
        raise unsupported(
            f"a generator with different conv_clamp values per layer ({sorted(clamps, key=str)})"
        )
    # The stylegan3 repo's constructor defaults differ from ada's (spec §1.7).
    conv_clamp = clamps.pop() if clamps else option("synthesis_kwargs", "conv_clamp", 256 if flat else None)
    if blocks and all("use_fp16" in b for b in blocks):
        num_fp16_res = sum(bool(b["use_fp16"]) for b in blocks)
    else:
        num_fp16_res = option("synthesis_kwargs", "num_fp16_res", 4 if flat else 0)
    hints = {
        "architecture": str(architecture),
        "conv_clamp": None if conv_clamp is None else float(conv_clamp),
        "num_fp16_res": int(num_fp16_res),
        **_mapping_hints(records, init_kwargs),
    }
    resample_filter = _resample_filter(records)
    if resample_filter is not None:
        hints["resample_filter"] = resample_filter
    return hints


def _resample_filter(records: dict[str, PersistentRecord]) -> torch.Tensor | None:
    """The `resample_filter` buffer every block and layer keeps (a user may train with another
    than [1,3,3,1]); one filter for the whole generator, else refused. None when none is stored."""
    found: dict[str, torch.Tensor] = {}
    for prefix, record in records.items():
        value = (record.state.get("_buffers") or {}).get("resample_filter")
        if value is not None:
            found[prefix + "resample_filter"] = as_float32(value, prefix + "resample_filter")
    return single_filter(found, "a generator") if found else None


def _mapping_hints(records: dict[str, PersistentRecord], init_kwargs: dict) -> dict[str, Any]:
    fc0 = records.get("mapping.fc0.")
    fc0 = fc0.state if fc0 is not None else {}
    lr = fc0.get("bias_gain", _option(init_kwargs, "mapping_kwargs", "lr_multiplier", 0.01))
    activation = fc0.get("activation", _option(init_kwargs, "mapping_kwargs", "activation", "lrelu"))
    return {"mapping_lr_multiplier": float(lr), "mapping_activation": str(activation)}


def _option(init_kwargs: dict, group: str, name: str, default: Any) -> Any:
    nested = init_kwargs.get(group) or {}
    return nested.get(name, init_kwargs.get(name, default))
