"""NVlabs TensorFlow StyleGAN2 / StyleGAN2-ADA pickles: `(G, D, Gs)` or a lone `Gs`, read without TensorFlow.

Converted the way stylegan2-ada-pytorch's legacy.py does (spec §2.4), plus the 'orig' generators
(`ToRGB_lod*`) legacy.py crashes on.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import torch

from installation.checkpoints.checkpoint import Checkpoint, as_float32, unsupported
from installation.checkpoints.safe_pickle import NetworkRecord
from installation.errors import CheckpointError

FORMAT = "nvlabs-tensorflow"


def is_tf_pickle(obj: Any) -> bool:
    return isinstance(obj, NetworkRecord) or (
        isinstance(obj, tuple) and any(isinstance(net, NetworkRecord) for net in obj)
    )


def convert(obj: NetworkRecord | tuple) -> Checkpoint:
    Gs = obj if isinstance(obj, NetworkRecord) else obj[-1]  # (G, D, Gs): render with the EMA copy
    if not isinstance(Gs, NetworkRecord):
        raise CheckpointError("the last network of this TensorFlow pickle is not a network")
    meta = Gs.state
    build = meta.get("build_func_name")
    variables = _variables(Gs)
    if build == "G_style" or any("StyleMod" in name for name in variables):
        raise unsupported("a TensorFlow StyleGAN (version 1) pickle")
    if not any(name.startswith("synthesis/") for name in variables):
        what = f"{meta.get('name')!r} ({build})"
        raise unsupported(f"a TensorFlow network pickle whose network is {what}, not a generator")
    if "mapping/LabelConcat/weight" in variables:
        raise unsupported("a conditional TensorFlow StyleGAN2 pickle with LabelConcat labels (original repo)")
    static = meta.get("static_kwargs") or {}

    def kwarg(name: str, default: Any) -> Any:  # legacy.py's rule: absent or None means the default
        return default if static.get(name) is None else static[name]

    if kwarg("nonlinearity", "lrelu") != "lrelu":
        raise unsupported(f"a TensorFlow generator with {static['nonlinearity']!r} activations")
    architecture = kwarg("architecture", "skip")
    if any(name.startswith("synthesis/ToRGB_lod") for name in variables):
        architecture = "orig"
    state = _state(variables, architecture)
    conv_clamp = kwarg("conv_clamp", None)
    hints = {
        "architecture": str(architecture),
        "conv_clamp": None if conv_clamp is None else float(conv_clamp),
        "num_fp16_res": int(kwarg("num_fp16_res", 0)),
        "mapping_lr_multiplier": float(kwarg("mapping_lrmul", 0.01)),
        "mapping_activation": str(kwarg("mapping_nonlinearity", "lrelu")),
        # taps like [1, 3, 3, 1]; normalised here as legacy.py's setup_filter does
        "resample_filter": _normalised(kwarg("resample_kernel", [1, 3, 3, 1])),
    }
    which = "Gs of (G, D, Gs)" if isinstance(obj, tuple) else "single generator network"
    return Checkpoint(FORMAT, state, hints, f"NVlabs TensorFlow StyleGAN2 pickle, {which}")


def _normalised(kernel: Any) -> np.ndarray:
    try:
        taps = np.asarray(kernel, dtype=np.float64)
    except (TypeError, ValueError):
        raise CheckpointError(f"resample_kernel {kernel!r} is not a list of numbers") from None
    if taps.ndim == 1:
        taps = np.outer(taps, taps)
    total = taps.sum()
    return taps / total if total else taps  # a zero sum is refused by the generator's config


def _variables(net: NetworkRecord) -> dict[str, Any]:
    """All variables of a network and its components, named `component/scope/var` like legacy.py."""
    found = {}

    def collect(prefix: str, node: NetworkRecord) -> None:
        for name, value in node.state.get("variables") or []:
            found[prefix + name] = value
        for name, child in (node.state.get("components") or {}).items():
            if isinstance(child, NetworkRecord):
                collect(f"{prefix}{name}/", child)

    collect("", net)
    return found


def _state(variables: dict[str, Any], architecture: str) -> dict[str, torch.Tensor]:
    tf = dict(variables)
    tf.pop("lod", None)  # progressive-growing level of detail: always 0 in a trained StyleGAN2
    scopes = [int(m.group(1)) for name in tf if (m := re.match(r"synthesis/(\d+)x\1/", name))]
    if not scopes:
        raise CheckpointError("no synthesis layers ('synthesis/4x4/...') in this TensorFlow generator")
    resolution = max(scopes)
    for name in [n for n in tf if n.startswith("synthesis/ToRGB_lod")]:
        lod, rest = re.fullmatch(r"synthesis/ToRGB_lod(\d+)/(.*)", name).groups()
        r = resolution // 2 ** int(lod)
        value = tf.pop(name)
        if r == resolution:  # an 'orig' generator only ever shows its last ToRGB (spec §1.6)
            tf[f"synthesis/{r}x{r}/ToRGB/{rest}"] = value

    out: dict[str, Any] = {}
    if "dlatent_avg" in tf:
        out["mapping.w_avg"] = tf.pop("dlatent_avg")
    i = 0
    while f"mapping/Dense{i}/weight" in tf:
        out[f"mapping.fc{i}.weight"] = np.asarray(tf.pop(f"mapping/Dense{i}/weight")).T
        out[f"mapping.fc{i}.bias"] = tf.pop(f"mapping/Dense{i}/bias")
        i += 1
    if "mapping/LabelEmbed/weight" in tf:
        out["mapping.embed.weight"] = np.asarray(tf.pop("mapping/LabelEmbed/weight")).T
        out["mapping.embed.bias"] = tf.pop("mapping/LabelEmbed/bias")
    out["synthesis.b4.const"] = np.asarray(tf.pop("synthesis/4x4/Const/const"))[0]
    _modulated(tf, out, "synthesis/4x4/Conv", "synthesis.b4.conv1", noise=0)
    for r in (4 * 2**j for j in range(int(math.log2(resolution)) - 1)):
        scope, block = f"synthesis/{r}x{r}", f"synthesis.b{r}"
        k = int(math.log2(r))
        if r > 4:
            _modulated(tf, out, f"{scope}/Conv0_up", f"{block}.conv0", noise=2 * k - 5, flip=True)
            _modulated(tf, out, f"{scope}/Conv1", f"{block}.conv1", noise=2 * k - 4)
        if architecture == "skip" or r == resolution:
            _modulated(tf, out, f"{scope}/ToRGB", f"{block}.torgb")
        if architecture == "resnet" and r > 4:
            out[f"{block}.skip.weight"] = _conv_weight(tf.pop(f"{scope}/Skip/weight"), flip=True)
    if tf:
        extra = sorted(tf)
        raise unsupported(
            f"a TensorFlow generator with variables this converter does not know ({', '.join(extra[:4])}"
            f"{' ...' if len(extra) > 4 else ''})"
        )
    return {name: as_float32(value, name) for name, value in out.items()}


def _conv_weight(value: Any, flip: bool = False) -> np.ndarray:
    """TF [kh, kw, in, out] -> torch [out, in, kh, kw]; up-sampling convs also turn the kernel round."""
    value = np.asarray(value)
    if flip:
        value = value[::-1, ::-1]
    return value.transpose(3, 2, 0, 1)


def _modulated(
    tf: dict, out: dict, scope: str, layer: str, noise: int | None = None, flip: bool = False
) -> None:
    out[f"{layer}.weight"] = _conv_weight(tf.pop(f"{scope}/weight"), flip)
    out[f"{layer}.bias"] = tf.pop(f"{scope}/bias")
    out[f"{layer}.affine.weight"] = np.asarray(tf.pop(f"{scope}/mod_weight")).T
    # TF adds the style bias's 1 at run time; PyTorch stores it in the bias.
    out[f"{layer}.affine.bias"] = np.asarray(tf.pop(f"{scope}/mod_bias")) + 1
    if noise is not None and f"{scope}/noise_strength" in tf:
        out[f"{layer}.noise_strength"] = tf.pop(f"{scope}/noise_strength")
        out[f"{layer}.noise_const"] = np.asarray(tf.pop(f"synthesis/noise{noise}"))[0, 0]
