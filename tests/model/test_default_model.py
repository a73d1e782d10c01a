"""The embedded default model: deterministic, no download, and displayable without clipping."""

import torch

from installation.model.default import default_generator
from installation.model.imaging import seed_latents


def test_default_model_is_deterministic_and_fills_the_display_range():
    G1, G2 = default_generator(), default_generator()
    for (k1, v1), (k2, v2) in zip(G1.state_dict().items(), G2.state_dict().items(), strict=True):
        assert k1 == k2 and torch.equal(v1, v2)
    with torch.inference_mode():
        img = G1(seed_latents(list(range(100, 104)), G1.z_dim).float())
    clipped = (img.abs() > 1).float().mean().item()
    assert clipped < 0.1, f"{clipped:.1%} of pixels would clip"
    # not a flat picture: every channel uses a good part of the range
    assert (img.std(dim=(0, 2, 3)) > 0.15).all()


def test_built_default_model_is_cached_and_a_damaged_cache_is_rebuilt(tmp_path, monkeypatch):
    from installation.model import default

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    default._default_state.cache_clear()
    try:
        built = default.default_generator().state_dict()
        cached = list((tmp_path / "installation").glob("default-model-*.pt"))
        assert len(cached) == 1
        default._default_state.cache_clear()
        loaded = default.default_generator().state_dict()
        assert all(torch.equal(built[k], loaded[k]) for k in built)
        cached[0].write_bytes(b"not a checkpoint")
        default._default_state.cache_clear()
        rebuilt = default.default_generator().state_dict()
        assert all(torch.equal(built[k], rebuilt[k]) for k in built)
    finally:
        default._default_state.cache_clear()
