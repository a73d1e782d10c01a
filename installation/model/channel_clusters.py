"""Groups of channels that respond alike, for bends on `channels = "cluster"`.

Channels are clustered by their activations over a fixed set of sampled latents (k-means on
each channel's standardised response), and the labels cached beside the model, so a show
starts as fast the second time and the groups stay the same from run to run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from installation.model.layer_view import LayerSeen, LayerView
from installation.show.bend_sections import BendSettings

log = logging.getLogger(__name__)

SAMPLES = 24  # latents the responses are measured over
POOLED = 8  # responses pooled to at most POOLED x POOLED pixels
ITERATIONS = 30


def any_clusters(bends: tuple[BendSettings, ...]) -> bool:
    return any(bend.channels == "cluster" for bend in bends)


def sampled_activations(G, layer: str, samples: int = SAMPLES, seed: int = 0) -> torch.Tensor:
    """Activations [samples, C, h, w] of `layer` for seeded latents at truncation 0.7."""
    device = G.mapping.w_avg.device
    z = torch.from_numpy(np.random.RandomState(seed).randn(samples, G.z_dim).astype(np.float32)).to(device)
    c = torch.zeros(samples, G.c_dim, device=device) if G.c_dim else None
    with torch.inference_mode():
        ws = G.mapping(z, c, truncation_psi=0.7)
        try:
            G.synthesis(ws, bend=LayerView(layer).hook(None))
        except LayerSeen as seen:
            return seen.activations.to(torch.float32)
    raise AssertionError(f"synthesis never reached {layer}")


def cluster_labels(activations: torch.Tensor, clusters: int, seed: int = 0) -> np.ndarray:
    """A cluster index per channel of activations [N, C, h, w] (k-means, k-means++ start)."""
    pooled = F.adaptive_avg_pool2d(activations, min(POOLED, activations.shape[-1]))
    rows = pooled.transpose(0, 1).flatten(1).double().numpy()  # a channel's response, per row
    rows = rows - rows.mean(1, keepdims=True)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True) + 1e-12
    rng = np.random.default_rng(seed)
    centres = [rows[rng.integers(len(rows))]]
    for _ in range(1, clusters):
        distance = np.min([((rows - c) ** 2).sum(1) for c in centres], axis=0)
        total = distance.sum()
        pick = rng.choice(len(rows), p=distance / total) if total > 0 else rng.integers(len(rows))
        centres.append(rows[pick])
    centres = np.stack(centres)
    for _ in range(ITERATIONS):
        labels = ((rows[:, None] - centres[None]) ** 2).sum(2).argmin(1)
        for k in range(clusters):
            if (labels == k).any():
                centres[k] = rows[labels == k].mean(0)
    return labels.astype(np.int64)


def channel_clusters(G) -> Callable[[str, int], np.ndarray]:
    """labels(layer, clusters): the layer's channel labels, read from or written to the model's
    cache folder."""
    from installation.backends.cache import ModelCache

    cache = ModelCache(G, torch.device("cpu"))

    def labels(layer: str, clusters: int) -> np.ndarray:
        path = cache.folder / f"channel-clusters-{cache.weights[:16]}-{layer}-k{clusters}-s{SAMPLES}.npy"
        if path.is_file():
            try:
                return np.load(path, allow_pickle=False)
            except (OSError, ValueError) as error:
                log.warning("ignoring unreadable channel clusters %s: %s", path, error)
        found = cluster_labels(sampled_activations(G, layer), clusters)
        try:
            np.save(path, found)
        except OSError as error:
            log.warning("could not cache channel clusters at %s: %s", path, error)
        return found

    return labels
