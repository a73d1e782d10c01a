"""Read any supported checkpoint into a `Checkpoint`: sniff the container, unpickle safely, convert."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from installation.checkpoints import native, nvlabs_tf, nvlabs_torch, rosinality
from installation.checkpoints.checkpoint import SUPPORTED, Checkpoint, unsupported
from installation.checkpoints.safe_pickle import safe_load, torch_load
from installation.checkpoints.sniff import PICKLE, sniff
from installation.errors import CheckpointError

_LUCIDRAINS_PREFIXES = ("S.", "G.", "GE.", "SE.", "D.")
# What torch's C++ checks append for its own developers: not for a user's error line.
_TORCH_ADVICE = re.compile(
    r"\s*\(?\s*(Could this error message be improved\?|This is an internal miniz error\.|"
    r"Please report a bug to PyTorch).*",
    re.DOTALL,
)


def load_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """The generator in `path`, whatever its format; CheckpointError (one line, naming the file) if not."""
    path = Path(path)
    try:
        kind = sniff(path)
        return _convert(_read(path, kind), kind)
    except CheckpointError as e:
        raise CheckpointError(f"{path}: {e}") from None


def _read(path: Path, kind: str) -> Any:
    try:
        with path.open("rb") as f:
            return safe_load(f) if kind == PICKLE else torch_load(f)
    except CheckpointError:
        raise
    except Exception as e:  # noqa: BLE001 - arbitrary bytes can break the readers in arbitrary ways
        raise CheckpointError(f"truncated or corrupt {kind} ({_one_line(e)})") from None


def _convert(obj: Any, kind: str) -> Checkpoint:
    try:
        if isinstance(obj, dict) and "G_ema" in obj:
            return nvlabs_torch.convert(obj)
        if nvlabs_tf.is_tf_pickle(obj):
            return nvlabs_tf.convert(obj)
        if isinstance(obj, dict) and "g_ema" in obj:
            return rosinality.convert(obj)
        if native.is_native(obj):
            return native.convert(obj)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError, RuntimeError) as e:
        raise CheckpointError(f"malformed {kind}: {_one_line(e)}") from None
    if isinstance(obj, dict) and isinstance(obj.get("GAN"), dict):
        if any(str(name).startswith(_LUCIDRAINS_PREFIXES) for name in obj["GAN"]):
            raise unsupported("a lucidrains stylegan2-pytorch checkpoint (a different architecture)")
    raise CheckpointError(f"not a known generator checkpoint: a {kind} holding {_summary(obj)}; {SUPPORTED}")


def _summary(obj: Any) -> str:
    if isinstance(obj, dict):
        keys = [str(k) for k in list(obj)[:6]]
        return (
            f"a dict with keys {', '.join(keys)}{' ...' if len(obj) > 6 else ''}" if keys else "an empty dict"
        )
    return f"a {type(obj).__name__}"


def _one_line(e: BaseException) -> str:
    text = _TORCH_ADVICE.sub("", str(e)).strip().splitlines()
    detail = f": {text[0]}" if text else ""
    return f"{type(e).__name__}{detail}" if not isinstance(e, KeyError) else f"missing {e}"
