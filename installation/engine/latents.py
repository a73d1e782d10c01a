"""What the engine renders from: latents for given show times, from a source that says when it changed."""

from __future__ import annotations

import inspect
import logging
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import torch

from installation.backends.base import Backend
from installation.backends.torch_eager import TorchEagerBackend, morphed
from installation.model.bends import Bending
from installation.model.layer_view import LayerSeen, LayerView
from installation.model.mixing import ModelMorph

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Latents:
    """One batch of generator input: ws [B, num_ws, w_dim] and the per-pixel noise to use.

    `noise_gain` is a float or a [B] tensor (one gain per frame); `noise`, when given, holds
    per-frame noise fields by layer ('b64.conv0': [B, 1, H, W]) that replace `noise_mode`'s
    (a mapping that may make each field only when it is read: see `for_level`). `transform`,
    for StyleGAN3 only, is each frame's input transform [B, 3, 3] (rotation, shift). `bend`: the
    batch's network bending (None: the unbent network); `view`: a layer to show
    instead of the picture; `mix`: (a model morph, its amount) to render instead of the
    backend's model."""

    ws: torch.Tensor
    noise_gain: torch.Tensor | float = 1.0
    noise_mode: str = "const"
    noise: Mapping[str, torch.Tensor] | None = None
    transform: torch.Tensor | None = None
    bend: Bending | None = None
    view: LayerView | None = None
    mix: tuple[ModelMorph, float] | None = None

    @property
    def has_noise_fields(self) -> bool:
        """Whether these latents render with noise fields (a backend's graph takes them as inputs)."""
        return self.noise is not None and self.noise_mode != "none"

    def for_level(self, G, level: int) -> Latents:
        """These latents with the noise fields made now that a render of G stopping at `level`
        reads, and no others."""
        if self.noise is None:
            return self
        from installation.backends.graph import noise_layers

        names = noise_layers(G, level)
        return replace(self, noise={name: self.noise[name] for name in names if name in self.noise})


class LatentSource(Protocol):
    """A pure function of show time, plus a version that changes whenever that function does.

    The engine renders ahead of the screen; a new `version()` tells it that frames already
    rendered for future times are stale (a parameter was written, the show was reloaded).
    Reading the version must be cheap: the engine reads it before every batch.
    """

    def version(self) -> int: ...

    def latents(self, times: Sequence[float]) -> Latents: ...


def render_latents(backend: Backend, latents: Latents, stop_res: int | None) -> torch.Tensor:
    """`backend.render` of a batch. Noise fields go to backends whose `render` takes `noise`;
    others render their constant noise instead (said once per backend class). A bent batch
    goes to backends whose `render` takes `bends` (the graph backends: the bends' parameters
    are a graph input), and a morph to those whose `render` takes `mix` (its amount is one);
    on others, and for a layer view, it renders in torch eager (graphs hold no hook; said once
    per backend)."""
    kw = dict(stop_res=stop_res, noise_mode=latents.noise_mode, noise_gain=latents.noise_gain)
    bent_in_graph = latents.bend is not None and _takes(type(backend), "bends")
    mixed_in_graph = latents.mix is not None and _takes(type(backend), "mix")
    if (
        latents.view is not None
        or (latents.mix is not None and not mixed_in_graph)
        or (latents.bend is not None and not bent_in_graph)
    ):
        return _render_eager(backend, latents, kw)
    if bent_in_graph:
        kw["bends"] = latents.bend
    if mixed_in_graph:
        kw["mix"] = latents.mix
    if latents.noise is not None:
        if _takes(type(backend), "noise"):
            kw["noise"] = latents.noise
        elif type(backend) not in _warned:
            _warned.add(type(backend))
            log.warning(
                "the %s backend takes no noise fields: looping noise is rendered as constant noise",
                backend.name,
            )
    if latents.transform is not None:
        if _takes(type(backend), "transform"):
            kw["transform"] = latents.transform
        elif (type(backend), "transform") not in _warned:
            _warned.add((type(backend), "transform"))
            log.warning(
                "the %s backend takes no input transform: rotate and translate are ignored", backend.name
            )
    return backend.render(latents.ws, **kw)


_warned: set = set()  # backend classes (and (class, "transform")) already warned about
_eager_twins: weakref.WeakKeyDictionary[Backend, TorchEagerBackend] = weakref.WeakKeyDictionary()


def _render_eager(backend: Backend, latents: Latents, kw: dict) -> torch.Tensor:
    eager = backend if isinstance(backend, TorchEagerBackend) else _eager_twins.get(backend)
    if eager is None:
        log.info(
            "the layer view (and bends and model morphs, where no graph takes them) run in torch "
            "eager on the %s backend: its graphs stop at no layer",
            backend.name,
        )
        eager = _eager_twins[backend] = TorchEagerBackend(backend.G, backend.device, backend.precision)
    if latents.mix is not None:
        morph, amount = latents.mix
        eager = morphed(eager, morph, amount)
    view = latents.view
    hook = latents.bend if view is None else view.hook(latents.bend)
    try:
        return eager.render(latents.ws, noise=latents.noise, bend=hook, **kw)
    except LayerSeen as seen:
        res = kw["stop_res"] or backend.G.config.img_resolution
        size = backend.G.synthesis.get_submodule(f"b{res}").size
        return view.picture(seen.activations, size, backend.G.config.img_channels)


def first_copies(latents: Latents, batch: int) -> Latents:
    """`batch` copies of the first frame of `latents` (to time one shape as the loop renders it)."""
    gain = latents.noise_gain
    noise = latents.noise
    return Latents(
        ws=latents.ws[:1].expand(batch, -1, -1).contiguous(),
        noise_gain=gain[:1].expand(batch) if isinstance(gain, torch.Tensor) else gain,
        noise_mode=latents.noise_mode,
        noise=None if noise is None else {k: v[:1].expand(batch, *v.shape[1:]) for k, v in noise.items()},
        transform=None if latents.transform is None else latents.transform[:1].expand(batch, 3, 3),
    )


def _takes(backend_class: type, argument: str) -> bool:
    return argument in inspect.signature(backend_class.render).parameters
