"""Model mixing and morphing: two generators of one architecture, their weights blended by layer.

A span of resolutions (coarse, middle, fine, or "A-B") of the synthesis network takes `amount`
of model B; the rest stays model A. The mapping network (and its w_avg) stays A's, as in layer
swapping: the show's keyframes, walks and directions live in A's W space, and B's synthesis
renders them. `ModelMorph` keeps its own copy of
A whose weights it rewrites only when the amount changes, so the model in the backends (and the
graphs built from it) is never touched.
"""

from __future__ import annotations

import copy
import re
import threading

import torch

from installation.errors import UserError
from installation.model.layers import SQUARES, CastCache, SynthesisLayer

RESOLUTION_GROUPS = {"all": (4, 1 << 20), "coarse": (4, 8), "middle": (16, 32), "fine": (64, 1 << 20)}
LAYERS_HELP = '"all", "coarse" (4-8 px), "middle" (16-32), "fine" (64 up) or "A-B" (px)'

Span = tuple[int, int]  # block resolutions, inclusive


def parse_layers(text: str) -> Span:
    """A span of resolutions from its name or "A-B"; UserError otherwise."""
    if text in RESOLUTION_GROUPS:
        return RESOLUTION_GROUPS[text]
    match = re.fullmatch(r"\s*(\d+)\s*-\s*(\d+)\s*", text)
    if not match or int(match.group(1)) > int(match.group(2)):
        raise UserError(f"layers {text!r}: expected {LAYERS_HELP}")
    return int(match.group(1)), int(match.group(2))


def tensor_resolution(name: str) -> int:
    """The block resolution a synthesis tensor belongs to; 0 (in no span) for the mapping's."""
    match = re.match(r"synthesis\.b(\d+)\.", name)
    return int(match.group(1)) if match else 0


def in_span(G, span: Span) -> list[str]:
    """Names of G's tensors in `span`; UserError when the model has no block there."""
    names = [n for n in G.state_dict() if span[0] <= tensor_resolution(n) <= span[1]]
    if not names:
        blocks = G.config.block_resolutions
        last = "" if span[1] >= 1 << 20 else f"-{span[1]}"
        raise UserError(
            f"layers {span[0]}{last} px: this model's blocks are {blocks[0]}-{blocks[-1]} px, none in between"
        )
    return names


def check_same_architecture(A, B, a_name: str = "model A", b_name: str = "model B") -> None:
    """UserError (one line) unless B's tensors and options are A's in shape."""
    if A.config != B.config:
        differ = [
            f
            for f in (
                "img_resolution",
                "channels",
                "z_dim",
                "w_dim",
                "c_dim",
                "architecture",
                "mapping_layers",
            )
            if getattr(A.config, f) != getattr(B.config, f)
        ]
        what = ", ".join(differ) if differ else "options (clamp, filter, fp16 blocks)"
        raise UserError(f"cannot mix {a_name} and {b_name}: different architectures ({what} differ)")
    a, b = A.state_dict(), B.state_dict()
    bad = [n for n in a if n not in b or a[n].shape != b[n].shape]
    if bad or set(a) != set(b):
        raise UserError(f"cannot mix {a_name} and {b_name}: different architectures (tensor {bad[:1]})")


def mixed_state(A, B, amount: float, span: Span) -> dict[str, torch.Tensor]:
    """A's state dict with the tensors in `span` moved `amount` of the way to B's."""
    b, mixed = B.state_dict(), set(in_span(A, span))
    out = {}
    for name, tensor in A.state_dict().items():
        if name in mixed:
            tensor = _blend(tensor, b[name].to(tensor.device), amount)
        out[name] = tensor.clone()
    return out


def _blend(a: torch.Tensor, b: torch.Tensor, amount: float) -> torch.Tensor:
    # The ends exactly: a mix at 0 is A and at 1 is B, bit for bit.
    if amount <= 0:
        return a
    if amount >= 1:
        return b
    return torch.lerp(a, b, amount)


def span_layers(root: torch.nn.Module, span: Span, prefix: str = "") -> list[tuple[str, CastCache]]:
    """The layers under `root` in `span` that keep folded weights, with their paths under root
    (`prefix` makes those the generator's names, as `tensor_resolution` reads them)."""
    return [
        (path, module)
        for path, module in root.named_modules()
        if isinstance(module, CastCache) and span[0] <= tensor_resolution(prefix + path) <= span[1]
    ]


def square_terms(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """[3, Cout * Cin]: the kernel sums of A^2, AB and B^2 of two convolution weights, from which
    `mixed_squares` gives the sums of squares of any mix of them, a ninth of the weights' size."""
    return torch.stack([(u * v).sum(dim=[2, 3]).reshape(-1) for u, v in ((a, a), (a, b), (b, b))])


def mixed_squares(terms: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """[1, Cout * Cin]: the sums of squares of (1 - t) A + t B (t [1, 1]), from `square_terms`."""
    return torch.cat([(1 - t) * (1 - t), 2 * t * (1 - t), t * t], dim=1) @ terms


class ModelMorph:
    """A's copy whose `span` follows a live amount towards B. A new amount costs one pass that
    reads A and B and writes the mix in place; the mixed layers drop their folded weights (the
    rest of the network keeps its own), and their fp32 demodulation sums come from the
    quadratic of three kept sums instead of squaring the new weights."""

    def __init__(self, A, B, span: Span, b_name: str = "model B") -> None:
        check_same_architecture(A, B, b_name=b_name)
        self.G = copy.deepcopy(A)
        live = self.G.state_dict(keep_vars=True)
        self.span = span
        b = B.state_dict()
        # B's tensors in the span (what a morph graph holds beside A's), by the generator's names
        self.b_span = {n: b[n].to(live[n].device).clone() for n in in_span(self.G, span)}
        self._pairs = [(live[n], live[n].detach().clone(), b) for n, b in self.b_span.items()]
        self.identical = all(torch.equal(a, b) for _, a, b in self._pairs)
        layers = span_layers(self.G, span)
        self._layers = [layer for _, layer in layers]
        self._squares = {
            layer: square_terms(layer.weight.detach(), self.b_span[f"{path}.weight"])
            for path, layer in layers
            if isinstance(layer, SynthesisLayer)
        }
        self.amount = 0.0
        self._lock = threading.Lock()

    def at(self, amount: float) -> torch.nn.Module:
        """The generator with the span `amount` of the way to B."""
        with self._lock:
            if amount != self.amount:
                self._rewrite(amount)
                self.amount = amount
            return self.G

    @torch.no_grad()
    def _rewrite(self, amount: float) -> None:
        between = 0 < amount < 1
        for target, a, b in self._pairs:
            if between:
                torch.lerp(a, b, amount, out=target)
            else:  # the ends exactly: a mix at 0 is A and at 1 is B, bit for bit
                target.copy_(a if amount <= 0 else b)
        for layer in self._layers:
            layer.clear_cache()
            terms = self._squares.get(layer)
            if between and terms is not None:
                t = torch.full((1, 1), amount, device=terms.device)
                layer.keep(SQUARES, torch.float32, mixed_squares(terms, t).reshape(layer.weight.shape[:2]))
