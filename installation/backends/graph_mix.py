"""A model morph inside a graph: A's and B's tensors of the mixed span, the amount an input.

The graph mixes the span's tensors from A's to B's by the amount t it is fed ([1] float32)
and folds the mixed layers' gains from the mixed weights as it runs (their `CastCache` folds
live), so a crossfade feeds new numbers and never builds or rewrites anything. Each tensor is
(1 - t) A + t B, from A and B stored as one [2, n] constant, exact at both ends (1 * A + 0 * B
is A, 0 * A + 1 * B is B, bit for bit). Inductor fuses that elementwise mix into the kernel
that lays the weight out for its convolution: one pass reads A and B and writes the weight the
convolution takes. onnxruntime runs it as three full passes, so graphs for it
(`matmul_mixes`) take the matrix product [1 - t, t] @ [A; B] instead: one pass. Layers outside
the span keep their folded weights as constants, as in a plain graph.
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import torch
from torch import nn

from installation.model.layers import SQUARES, CastCache, SynthesisLayer
from installation.model.mixing import (
    ModelMorph,
    Span,
    mixed_squares,
    span_layers,
    square_terms,
)
from installation.model.switches import Switch


@dataclass(frozen=True)
class MixLayout:
    """What a morph graph fixes: the span and model B's identity (a digest of its tensors in
    the span). `tensors`, B's span tensors by the generator's names, travel with it into a
    build (a child process too) but are no part of the key."""

    span: Span
    b_digest: str
    tensors: Mapping[str, torch.Tensor] = field(compare=False, repr=False, hash=False)

    def key(self) -> str:
        """A short name of the layout for graph file names."""
        return f"{self.span[0]}-{self.span[1]}-{self.b_digest[:8]}"


_MATMUL = Switch("matmul_mixes")
matmul_mixes = _MATMUL.on  # within: morph graphs exported here mix by matrix products


_layouts: weakref.WeakKeyDictionary[ModelMorph, MixLayout] = weakref.WeakKeyDictionary()


def mix_layout(morph: ModelMorph) -> MixLayout:
    """The graph layout of a morph (made once per morph: the digest reads every B tensor)."""
    layout = _layouts.get(morph)
    if layout is None:
        tensors = {name: b.detach().cpu() for name, b in morph.b_span.items()}
        layout = _layouts[morph] = MixLayout(morph.span, _digest(tensors), tensors)
    return layout


def _digest(tensors: Mapping[str, torch.Tensor]) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for name, tensor in sorted(tensors.items()):
        digest.update(f"{name}{tuple(tensor.shape)}".encode())
        digest.update(tensor.to(torch.float32).contiguous().numpy().tobytes())
    return digest.hexdigest()


class MixedWeights(nn.Module):
    """B's span tensors beside A's, and the mix that feeds a synthesis network its tensors.
    Making one sets the span's layers of `synthesis` to fold from the mixed tensors as the
    graph runs, but for the sums of squares of fp32 convolution weights (their demodulation):
    those are a quadratic in t of three sums kept at build time, [(1 - t)^2, 2t(1 - t), t^2] @
    [A^2; AB; B^2], a ninth of the weights' size, so the graph never squares a mixed weight."""

    def __init__(self, layout: MixLayout, synthesis: nn.Module) -> None:
        super().__init__()
        # Names inside the synthesis network ('b16.conv0.weight'); buffers cannot hold dots.
        self.names = [name.removeprefix("synthesis.") for name in sorted(layout.tensors)]
        own = {**dict(synthesis.named_parameters()), **dict(synthesis.named_buffers())}
        b_own = {name.removeprefix("synthesis."): tensor for name, tensor in layout.tensors.items()}
        self.shapes = [own[name].shape for name in self.names]
        # An up-sampling layer's weight is read transposed (a transposed convolution's layout):
        # kept so, its mix is a view that the graph's own transposition undoes, where a plain
        # graph transposes a constant once at build time.
        self.transposed = [_read_transposed(synthesis, name) for name in self.names]
        for i, name in enumerate(self.names):
            a, b = own[name].detach(), b_own[name].to(own[name])
            if self.transposed[i]:
                a, b = a.transpose(0, 1), b.transpose(0, 1)
            self.register_buffer(f"ab{i}", torch.stack([a.reshape(-1), b.reshape(-1)]))
        self._squares: dict[nn.Module, str] = {}  # a mixed layer -> its buffer of sums of squares
        self._folding: list[CastCache] = []  # the span's layers, folding as the graph runs
        for path, module in span_layers(synthesis, layout.span, "synthesis."):
            module.fold = _unmixed_fold
            module._cache.clear()
            self._folding.append(module)
            if isinstance(module, SynthesisLayer):
                terms = square_terms(module.weight.detach(), b_own[f"{path}.weight"].to(module.weight))
                self._squares[module] = f"squares{len(self._squares)}"
                self.register_buffer(self._squares[module], terms)

    def bound(self, synthesis: nn.Module, amount: torch.Tensor) -> Callable[..., torch.Tensor]:
        """`synthesis` with the span's tensors `amount` ([1]) of the way from A's to B's."""
        t = amount.reshape(1, 1)
        weights = torch.cat([1 - t, t], dim=1)
        matmul = bool(_MATMUL)
        mixed = {}
        for i, (name, shape) in enumerate(zip(self.names, self.shapes, strict=True)):
            ab = getattr(self, f"ab{i}")
            flat = weights @ ab if matmul else ab[0:1] * (1 - t) + ab[1:2] * t
            if self.transposed[i]:
                mixed[name] = flat.reshape(shape[1], shape[0], *shape[2:]).transpose(0, 1)
            else:
                mixed[name] = flat.reshape(shape)

        # The amount reaches the layers' folds through a closure: a tensor kept on the module
        # would be an attribute assigned during export, which torch.export warns about.
        def fold(layer: CastCache, name: str, dtype: torch.dtype, make: Callable[[], torch.Tensor]):
            if name == SQUARES and dtype == torch.float32 and layer in self._squares:
                squares = mixed_squares(getattr(self, self._squares[layer]), t)
                return squares.reshape(layer.weight.shape[:2])
            return _unmixed_fold(layer, name, dtype, make)

        for layer in self._folding:
            layer.fold = fold

        def call(*args, **kwargs) -> torch.Tensor:
            return torch.func.functional_call(synthesis, mixed, args, kwargs, strict=False)

        return call


def _unmixed_fold(layer: CastCache, name: str, dtype: torch.dtype, make: Callable[[], torch.Tensor]):
    # Made on every call from the tensors the layer is given, never kept.
    return make().to(dtype).contiguous()


def _read_transposed(synthesis: nn.Module, name: str) -> bool:
    """Whether tensor `name` is an up-sampling convolution's weight."""
    path, _, leaf = name.rpartition(".")
    return leaf == "weight" and getattr(synthesis.get_submodule(path), "up", False) is True
