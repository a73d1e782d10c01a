"""Readers for pickles and torch.save files that rebuild only data (tensors, arrays, containers,
inert records), never code.

Model pickles name the functions that rebuild them; the stock unpickler imports and calls whatever
is named, so a hostile file runs anything. Here every global is looked up in an explicit table of
pure constructors or replaced by an inert record; anything else stops the load before it runs.
torch.save files go through torch's own weights-only unpickler, which works the same way.
"""

from __future__ import annotations

import collections
import io
import pickle
import re
import warnings
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np
import torch

from installation.errors import CheckpointError


@dataclass
class PersistentRecord:
    """What NVIDIA's `persistence` wrapper stored for one module; its `module_src` is only text."""

    class_name: str
    version: int
    module_src: str
    state: dict


class _Sealed(type):
    """Stand-in classes are handed to the pickle itself; a crafted BUILD must not rewrite them."""

    def __setattr__(cls, name: str, value: Any) -> None:
        raise CheckpointError(f"refused: the file tries to modify class {cls.__name__}")


class NetworkRecord(metaclass=_Sealed):
    """A TensorFlow-era `dnnlib.tflib.network.Network`: its pickled state, no TensorFlow."""

    def __setstate__(self, state: dict) -> None:
        self.state = state


class InertModule(metaclass=_Sealed):
    """Any plain `torch.nn` module (seen only in exotic discriminators / augment pipes): kept as data."""

    def __setstate__(self, state: Any) -> None:
        self.state = state


class EasyDict(dict, metaclass=_Sealed):
    """Stand-in for `dnnlib.util.EasyDict` (option groups in `_init_kwargs`)."""


def _reconstruct_persistent_obj(meta: dict) -> PersistentRecord:
    if not isinstance(meta, dict) or meta.get("type") != "class":
        raise CheckpointError("malformed persistent-object record in the network pickle")
    return PersistentRecord(
        class_name=str(meta.get("class_name")),
        version=meta.get("version"),
        module_src=meta.get("module_src", ""),
        state=meta.get("state") or {},
    )


def _rebuild_parameter(data: torch.Tensor, *_ignored: Any) -> torch.Tensor:
    # requires_grad, hooks and Python attributes of a Parameter are training details: keep the data.
    return data


def _load_from_bytes(blob: bytes) -> Any:
    # The stock version calls torch.load(weights_only=False); each blob is a legacy torch.save stream.
    return torch_load(io.BytesIO(blob))


# Pure constructors (exactly the globals written by the programs in spec §1.5 and §2.2).
_ALLOWED: dict[tuple[str, str], Any] = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("torch._utils", "_rebuild_tensor_v2"): torch._utils._rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
    ("torch.storage", "_load_from_bytes"): _load_from_bytes,
    ("numpy", "dtype"): np.dtype,
    ("numpy", "ndarray"): np.ndarray,
}
# numpy 1.x writes numpy.core.*, numpy 2.x numpy._core.*; take the functions off live objects so
# neither spelling has to be imported.
for _module in ("numpy.core.multiarray", "numpy._core.multiarray"):
    _ALLOWED[(_module, "scalar")] = np.float64(0).__reduce__()[0]
    _ALLOWED[(_module, "_reconstruct")] = np.ndarray((0,)).__reduce__()[0]

# Globals whose defining package forks vendor under other prefixes: matched on the module suffix.
_BY_SUFFIX: dict[tuple[str, str], Any] = {
    ("torch_utils.persistence", "_reconstruct_persistent_obj"): _reconstruct_persistent_obj,
    ("dnnlib.util", "EasyDict"): EasyDict,
    ("dnnlib.tflib.network", "Network"): NetworkRecord,
}


def resolve_global(module: str, name: str) -> Any:
    """The safe object standing for global `module.name`, or CheckpointError naming it."""
    found = _ALLOWED.get((module, name))
    if found is not None:
        return found
    for (suffix, known), value in _BY_SUFFIX.items():
        if name == known and (module == suffix or module.endswith("." + suffix)):
            return value
    if module.startswith("torch.nn.modules.") and name.isidentifier():
        return InertModule
    raise _refused(f"{module}.{name}")


def _refused(global_name: str) -> CheckpointError:
    return CheckpointError(
        f"refused: the file asks to call {global_name}, which no model checkpoint needs "
        "(it may be hostile; nothing from it was run)"
    )


class SafeUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        return resolve_global(module, name)

    def persistent_load(self, pid: Any) -> Any:
        raise CheckpointError(
            "refused: the pickle refers to external objects, which a network pickle never does"
        )


def safe_load(f: BinaryIO) -> Any:
    """Unpickle one object from `f` with the allow-list. latin1 keeps Python-2-era byte strings readable."""
    return SafeUnpickler(f, encoding="latin1").load()


class Namespace(metaclass=_Sealed):
    """Inert stand-in for `argparse.Namespace` (rosinality train.py's `args`): attributes only."""


def torch_load(f: BinaryIO) -> Any:
    """A torch.save file (zip or legacy stream), by torch's weights-only unpickler, tensors on the CPU."""
    try:
        with torch.serialization.safe_globals([(Namespace, "argparse.Namespace")]), warnings.catch_warnings():
            # torch asks for a bug report about the pickle protocol; the loader answers for the file.
            warnings.filterwarnings("ignore", message="Detected pickle protocol")
            return torch.load(f, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        found = re.search(r"GLOBAL (\S+)", str(e))
        if found:  # torch names builtins without their module
            name = found.group(1)
            raise _refused(name if "." in name else f"builtins.{name}") from None
        detail = str(e).split("WeightsUnpickler error:")[-1].strip().splitlines() or ["no reason given"]
        raise CheckpointError(
            f"corrupt or hostile: torch's weights-only loader stopped at: {detail[0]}"
        ) from None
