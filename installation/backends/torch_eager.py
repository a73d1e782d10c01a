"""The plain PyTorch path: eager execution of our generator under inference mode."""

from __future__ import annotations

import torch

from installation.backends.base import Backend


class TorchEagerBackend(Backend):
    name = "torch"

    def render(
        self,
        ws,
        *,
        stop_res=None,
        noise_mode="const",
        noise_gain=1.0,
        noise=None,
        transform=None,
        bend=None,
    ) -> torch.Tensor:
        """As `Backend.render`; `bend` is the synthesis network's network-bending hook (StyleGAN2)."""
        # `transform` [B, 3, 3] only for StyleGAN3 (its input's rotation and translation per frame).
        moved = {} if transform is None else {"transform": transform.to(self.device)}
        bent = {} if bend is None else {"bend": bend}
        with torch.inference_mode():
            return self.G.synthesis(
                ws.to(self.device),
                noise_mode=noise_mode,
                stop_res=stop_res,
                precision=self.precision,
                noise_gain=noise_gain,
                noise=noise,
                **moved,
                **bent,
            )


def morphed(eager: TorchEagerBackend, morph, amount: float) -> TorchEagerBackend:
    """`eager`'s device and precision on a model morph's generator at `amount` (a
    `installation.model.mixing.ModelMorph`, which rewrites its copy only when the amount changes)."""
    return TorchEagerBackend(morph.at(amount), eager.device, eager.precision)
