"""A generator's latent space as motion sees it: sizes, the average w, and z -> w."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from installation.errors import UserError

Mapper = Callable[[np.ndarray, "np.ndarray | None"], np.ndarray]

_CHUNK = 1024  # rows per mapping call, so sampling 10,000 ws does not need 10,000 at once


@dataclass(frozen=True)
class LatentSpace:
    """`mapper(z [N, z_dim] float32, c [N, c_dim] or None) -> w [N, w_dim]`, untruncated."""

    z_dim: int
    w_dim: int
    c_dim: int
    num_ws: int
    w_avg: np.ndarray
    mapper: Mapper

    @classmethod
    def from_generator(cls, G) -> "LatentSpace":
        """Wrap a generator (installation.model.Generator) whose mapping runs on its device."""
        import torch

        device = G.mapping.w_avg.device

        def mapper(z: np.ndarray, c: np.ndarray | None) -> np.ndarray:
            with torch.inference_mode():
                zt = torch.from_numpy(z).to(device)
                ct = None if c is None else torch.from_numpy(c).to(device)
                return G.mapping(zt, ct)[:, 0].float().cpu().numpy()

        cfg = G.config
        w_avg = G.mapping.w_avg.detach().float().cpu().numpy()
        return cls(cfg.z_dim, cfg.w_dim, cfg.c_dim, cfg.num_ws, w_avg, mapper)

    def labels(self, classes: Sequence[int]) -> np.ndarray | None:
        """One-hot rows [N, c_dim] for a conditional model; None for an unconditional one."""
        if not self.c_dim:
            return None
        bad = [c for c in classes if not 0 <= c < self.c_dim]
        if bad:
            raise UserError(f"class {bad[0]} is out of range: the model has classes 0 to {self.c_dim - 1}")
        return np.eye(self.c_dim, dtype=np.float32)[list(classes)]

    def map(self, z: np.ndarray, c: np.ndarray | None = None) -> np.ndarray:
        """w [N, w_dim] float32 for z [N, z_dim] (and labels for a conditional model)."""
        z = np.ascontiguousarray(z, dtype=np.float32)
        c = None if c is None else np.ascontiguousarray(c, dtype=np.float32)
        parts = [
            self.mapper(z[i : i + _CHUNK], None if c is None else c[i : i + _CHUNK])
            for i in range(0, len(z), _CHUNK)
        ]
        return np.concatenate(parts).astype(np.float32, copy=False)

    def sample_w(self, count: int, seed: int) -> np.ndarray:
        """`count` ws from random z (and random classes), the same for the same seed."""
        rng = np.random.default_rng(seed)
        z = rng.standard_normal((count, self.z_dim), dtype=np.float32)
        c = self.labels(rng.integers(0, self.c_dim, count).tolist()) if self.c_dim else None
        return self.map(z, c)
