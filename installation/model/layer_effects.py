"""Which layers a change of latent changes most: the relative change of each layer's activations."""

from __future__ import annotations

import torch

from installation.model.bends import layer_names


def layer_activations(G, ws: torch.Tensor) -> dict[str, torch.Tensor]:
    """Every synthesis layer's output for ws (one pass, through the bend hook point)."""
    seen: dict[str, torch.Tensor] = {}

    def record(name: str, x: torch.Tensor) -> torch.Tensor:
        seen[name] = x.to(torch.float32)
        return x

    with torch.inference_mode():
        G.synthesis(ws, noise_mode="const", bend=record)
    return seen


def layer_changes(G, ws_from: torch.Tensor, ws_to: torch.Tensor) -> dict[str, float]:
    """For each layer, |activations(ws_to) - activations(ws_from)| / |activations(ws_from)|."""
    before, after = layer_activations(G, ws_from), layer_activations(G, ws_to)
    return {
        name: float((after[name] - before[name]).norm() / before[name].norm().clamp_min(1e-12))
        for name in layer_names(G)
    }


def most_changed(changes: dict[str, float], top: int = 2) -> list[str]:
    return sorted(changes, key=changes.get, reverse=True)[:top]
