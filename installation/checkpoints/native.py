"""The engine's own file: a generator saved by `run.py mix` (torch.save, tensors and plain values).

It holds the state dict in NVIDIA's naming and the options the tensors do not show, so it
loads back into exactly the generator that was saved.
"""

from __future__ import annotations

from pathlib import Path

import torch

from installation.checkpoints.checkpoint import Checkpoint, as_float32

FORMAT = "installation"
KEY = "installation_generator"
HINTS = ("architecture", "conv_clamp", "num_fp16_res", "mapping_lr_multiplier", "mapping_activation")


def is_native(obj: object) -> bool:
    return isinstance(obj, dict) and isinstance(obj.get(KEY), dict)


def convert(top: dict) -> Checkpoint:
    saved = top[KEY]
    state = {name: as_float32(tensor, name) for name, tensor in saved["state"].items()}
    hints = dict(saved["hints"])
    hints["resample_filter"] = torch.tensor(hints["resample_filter"], dtype=torch.float32)
    return Checkpoint(FORMAT, state, hints, f"installation generator ({saved['description']})")


def save_generator(G, path: str | Path, description: str) -> None:
    """Write `G` where `load_generator` reads it back unchanged."""
    config = G.config
    hints = {name: getattr(config, name) for name in HINTS}
    hints["resample_filter"] = torch.as_tensor(config.resample_filter, dtype=torch.float32).tolist()
    state = {name: t.detach().to("cpu", torch.float32).contiguous() for name, t in G.state_dict().items()}
    torch.save({KEY: {"state": state, "hints": hints, "description": description}}, Path(path))
