"""Which numeric precisions this hardware runs natively (the live show's `precision = "auto"`
and the benchmarks both ask)."""

from __future__ import annotations

import torch


def available_precisions(device: torch.device) -> list[str]:
    """fp32 everywhere; half precision where the hardware does it natively."""
    if device.type == "cuda":
        return ["fp32", "mixed", "fp16"]
    flags = _cpu_flags()
    return ["fp32", "mixed", "bf16"] if "avx512_bf16" in flags or "amx_bf16" in flags else ["fp32"]


def _cpu_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()
