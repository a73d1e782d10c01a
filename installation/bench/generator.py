"""Generator speed: per precision and batch size, mapping vs synthesis, and the cost of each block.

Every fast path is also checked against the fp32 path on the same latents, with the tolerance
it must meet (`TOLERANCES`, as a fraction of the fp32 output's standard deviation).
"""

from __future__ import annotations

import numpy as np
import torch

from installation.model.config import GeneratorConfig
from installation.model.generator import Generator
from installation.model.precision import available_precisions
from installation.timing import device_sync, median_ms

# max |fast - fp32| / std(fp32) allowed for each path
TOLERANCES = {
    "fp32": 1e-4,
    "fp32-grouped": 1e-4,
    "fp32-shared": 1e-4,
    "mixed": 0.15,
    "bf16": 0.15,
    "fp16": 0.05,
}


def official_config(resolution: int) -> GeneratorConfig:
    """NVIDIA's official StyleGAN2 configurations (random weights are fine for timing)."""
    base = 16384 if resolution <= 256 else 32768
    blocks = [4 * 2**i for i in range(int(np.log2(resolution)) - 1)]
    return GeneratorConfig(
        z_dim=512,
        w_dim=512,
        c_dim=0,
        img_resolution=resolution,
        img_channels=3,
        mapping_layers=8,
        mapping_features=(512,) * 9,
        channels={r: min(base // r, 512) for r in blocks},
        conv_clamp=256.0,
        num_fp16_res=4,
        extra={
            "format": "official config, random weights",
            "description": f"official {resolution} px config",
        },
    )


def chosen_precisions(device: torch.device, text: str | None) -> list[str]:
    """The precisions a `--precisions a,b` option names (all available ones if None); naming one
    this hardware lacks is a user error."""
    from installation.errors import UserError

    available = available_precisions(device)
    precisions = text.split(",") if text else available
    unknown = [p for p in precisions if p not in available]
    if unknown:
        raise UserError(
            f"precision {', '.join(unknown)} not available here (available: {', '.join(available)})"
        )
    return precisions


def _synth_kwargs(path: str) -> dict:
    if path == "fp32-grouped":
        return {"precision": "fp32", "fused": True}
    if path == "fp32-shared":
        return {"precision": "fp32", "fused": False}
    return {"precision": path}


def accuracy(G: Generator, ws: torch.Tensor, paths: list[str]) -> dict[str, dict]:
    """Max abs error of each path against the default fp32 path, absolute and relative to std."""
    with torch.inference_mode():
        ref = G.synthesis(ws, noise_mode="const").float()
        std = float(ref.std())
        out = {}
        for path in paths:
            img = G.synthesis(ws, noise_mode="const", **_synth_kwargs(path)).float()
            err = float((img - ref).abs().max())
            out[path] = {
                "max_abs_err": err,
                "rel_err": err / std,
                "tolerance": TOLERANCES[path],
                "ok": err / std <= TOLERANCES[path],
            }
    return out


def bench_generator(
    G: Generator, device: torch.device, precisions: list[str], batches: list[int], repeats: int
) -> dict:
    sync = device_sync(device)
    rng = np.random.RandomState(0)
    results: dict = {"rows": [], "blocks": {}, "accuracy": {}}
    with torch.inference_mode():
        for batch in batches:
            z = torch.from_numpy(rng.standard_normal((batch, G.z_dim)).astype(np.float32)).to(device)
            ws = G.mapping(z)
            mapping_ms = median_ms(lambda z=z: G.mapping(z), repeats, sync=sync)
            for precision in precisions:
                synth_ms = median_ms(
                    lambda ws=ws, precision=precision: G.synthesis(ws, precision=precision),
                    repeats,
                    sync=sync,
                )
                per_frame = (mapping_ms + synth_ms) / batch
                results["rows"].append(
                    {
                        "precision": precision,
                        "batch": batch,
                        "ms_per_frame": per_frame,
                        "fps": 1000 / per_frame,
                        "mapping_ms": mapping_ms,
                        "synthesis_ms": synth_ms,
                    }
                )
        z = torch.from_numpy(rng.standard_normal((1, G.z_dim)).astype(np.float32)).to(device)
        ws = G.mapping(z)
        for precision in precisions:
            results["blocks"][precision] = (
                {
                    res: median_ms(
                        lambda precision=precision, res=res: G.synthesis(
                            ws, precision=precision, stop_res=res
                        ),
                        repeats,
                        sync=sync,
                    )
                    for res in G.synthesis.block_resolutions
                }
                if G.config.architecture == "skip"
                else {}
            )
    paths = [p for p in ["fp32-grouped", "fp32-shared", *precisions] if p != "fp32"]
    z = torch.from_numpy(rng.standard_normal((2, G.z_dim)).astype(np.float32)).to(device)
    with torch.inference_mode():
        results["accuracy"] = accuracy(G, G.mapping(z), paths)
    return results
