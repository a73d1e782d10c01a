"""A model morph inside a graph: A's and B's tensors of the mixed span, the amount an input.

The graph lerps the span's tensors from A's to B's by the amount it is fed ([1] float32) and
folds the mixed layers' gains from the lerped weights as it runs (their `CastCache` folds
live), so a crossfade feeds new numbers and never builds or rewrites anything. `torch.lerp`
is exact at both ends (at 0 it is A's tensor, at 1 B's, bit for bit). Layers outside the span
keep their folded weights as constants, as in a plain graph.
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import torch
from torch import nn

from installation.model.layers import CastCache
from installation.model.mixing import ModelMorph, Span, tensor_resolution


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
    """B's span tensors as buffers, and the lerp that feeds a synthesis network its mixed
    tensors. Making one sets the span's layers of `synthesis` to fold live."""

    def __init__(self, layout: MixLayout, synthesis: nn.Module) -> None:
        super().__init__()
        # Names inside the synthesis network ('b16.conv0.weight'); buffers cannot hold dots.
        self.names = [name.removeprefix("synthesis.") for name in sorted(layout.tensors)]
        own = {**dict(synthesis.named_parameters()), **dict(synthesis.named_buffers())}
        self.shapes = [own[name].shape for name in self.names]
        for i, name in enumerate(sorted(layout.tensors)):
            a = own[self.names[i]].detach().reshape(-1)
            self.register_buffer(f"ab{i}", torch.stack([a, layout.tensors[name].to(a).reshape(-1)]))
        low, high = layout.span
        for res in synthesis.block_resolutions:
            if low <= tensor_resolution(f"synthesis.b{res}.") <= high:
                for module in synthesis.get_submodule(f"b{res}").modules():
                    if isinstance(module, CastCache):
                        module.fold_live = True
                        module._cache.clear()

    def bound(self, synthesis: nn.Module, amount: torch.Tensor) -> Callable[..., torch.Tensor]:
        """`synthesis` with the span's tensors `amount` ([1]) of the way from A's to B's."""
        t = amount.reshape(1, 1)
        weights = torch.cat([1 - t, t], dim=1)
        mixed = {
            name: (weights @ getattr(self, f"ab{i}")).reshape(shape)
            for i, (name, shape) in enumerate(zip(self.names, self.shapes, strict=True))
        }

        def call(*args, **kwargs) -> torch.Tensor:
            return torch.func.functional_call(synthesis, mixed, args, kwargs, strict=False)

        return call
