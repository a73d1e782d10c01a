"""`run.py bench MODEL --nvidia-repo PATH`: our generator and NVIDIA's, side by side, in one run.

NVIDIA's generator class is imported from the user's own checkout of stylegan2-ada-pytorch or
stylegan3 (this project ships none of its code). It is built from the constructor arguments
the network pickle stored and loaded with the tensors our safe loader read, so the file's
pickled code never runs. Both render the same ws, batch 1, constant noise, taking turns
so that load from elsewhere slows both alike; their outputs are compared as well. Ours runs in
fp32 and, where the hardware has native half precision, in 'mixed' too (what `play` uses there).
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import sys
from pathlib import Path

import torch

from installation.errors import UserError

# Where each generator family lives in NVIDIA's repositories, in the order tried.
_MODULES = {
    "stylegan3": ("training.networks_stylegan3",),
    "stylegan2": ("training.networks_stylegan2", "training.networks"),
}


# What to install for a module NVIDIA's code imports, where the pip name differs.
# (pkg_resources left setuptools in version 81.)
_PIP_NAMES = {"pkg_resources": "'setuptools<81'", "PIL": "pillow"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--nvidia-repo",
        metavar="PATH",
        default=None,
        help="time NVIDIA's generator from this checkout (stylegan2-ada-pytorch or stylegan3) against ours",
    )
    parser.add_argument(
        "--nvidia-compiled",
        action="store_true",
        help="with --nvidia-repo: also time our torch-compiled graph in each precision (built first)",
    )


def nvidia_generator(G, repo: str | Path) -> torch.nn.Module:
    """NVIDIA's generator class from `repo`, built with G's file's constructor arguments and G's tensors."""
    repo = Path(repo).expanduser()
    if not (repo / "training").is_dir() or not (repo / "torch_utils").is_dir():
        raise UserError(
            f"--nvidia-repo {repo}: not a checkout of NVIDIA's stylegan2-ada-pytorch or stylegan3"
        )
    init_kwargs = G.config.extra.get("init_kwargs")
    if not init_kwargs:
        raise UserError(
            "--nvidia-repo needs an NVlabs network pickle (its constructor arguments are stored there)"
        )
    family = "stylegan3" if G.config.architecture == "stylegan3" else "stylegan2"
    sys.path.insert(0, str(repo))
    try:
        Generator = _generator_class(family, repo)
        theirs = Generator(**_options(init_kwargs))
    except UserError:
        raise
    except ModuleNotFoundError as e:
        raise UserError(
            f"--nvidia-repo {repo}: NVIDIA's code imports {e.name}, which this environment lacks "
            f"(pip install {_PIP_NAMES.get(e.name, e.name)})"
        ) from None
    except Exception as e:  # noqa: BLE001 -- their code and dependencies may raise anything: one line
        raise UserError(
            f"--nvidia-repo {repo}: building NVIDIA's generator failed: {type(e).__name__}: {e}"
        ) from None
    mine = G.state_dict()
    missing, unexpected = theirs.load_state_dict(mine, strict=False)
    # NVIDIA's StyleGAN2 resample filters are fixed buffers it rebuilds itself; all else must match.
    missing = [k for k in missing if not k.endswith("resample_filter")]
    if missing or unexpected:
        raise UserError(
            f"NVIDIA's generator in {repo} has other tensors than this model "
            f"(missing {missing[:3]}, unexpected {unexpected[:3]}): a different repository version?"
        )
    return theirs.eval().requires_grad_(False).to(next(G.parameters()).device)


def _generator_class(family: str, repo: Path):
    for name in _MODULES[family]:
        if (repo / (name.replace(".", "/") + ".py")).exists():
            return importlib.import_module(name).Generator
    raise UserError(f"--nvidia-repo {repo}: no {' or '.join(_MODULES[family])} in it for this {family} model")


def _options(init_kwargs: dict) -> dict:
    # The pickle stores option groups as EasyDicts; NVIDIA's constructors take plain keyword dicts.
    return {k: dict(v) if isinstance(v, dict) else v for k, v in init_kwargs.items()}


def side_by_side(G, theirs, repeats: int, sync, precisions: list[str], graphs: dict | None = None) -> dict:
    """ms per frame of ours in each of `precisions` (torch eager, and each of `graphs`: label ->
    a graph backend) and NVIDIA's (fp32), batch 1, taking turns, and how far each of our images
    is from NVIDIA's."""
    from installation.backends.auto import round_robin

    device = next(G.parameters()).device
    z = torch.randn(1, G.z_dim, generator=torch.Generator().manual_seed(0)).to(device)
    c = torch.zeros(1, G.c_dim, device=device) if G.c_dim else None
    with torch.inference_mode():
        ws = G.mapping(z, c)
        kwargs = {"force_fp32": True}
        if G.config.architecture != "stylegan3":
            kwargs["noise_mode"] = "const"
        ours = {p: (lambda p=p: G.synthesis(ws, noise_mode="const", precision=p)) for p in precisions}
        for label, backend in (graphs or {}).items():
            ours[label] = lambda backend=backend: backend.render(ws, noise_mode="const")
        calls = {f"ours {label}": call for label, call in ours.items()}
        calls["NVIDIA fp32"] = lambda: theirs.synthesis(ws, **kwargs)
        reference = calls["NVIDIA fp32"]()
        diffs = {label: float((call() - reference).abs().max()) for label, call in ours.items()}
        samples = round_robin(calls, repeats, sync)
    median = {k: statistics.median(v) for k, v in samples.items()}
    return {
        "ms": median,
        "best_ms": {k: min(v) for k, v in samples.items()},
        "speedup": {label: median["NVIDIA fp32"] / median[f"ours {label}"] for label in ours},
        "max_abs_diff": diffs,
        "repeats": repeats,
    }


def compiled_graphs(G, device: torch.device, precisions: list[str]) -> dict:
    """Our torch-compiled graph of G in each precision that builds, built now (kept in G's cache)."""
    from installation.backends.cache import ModelCache
    from installation.backends.compiled import CompiledBackend

    graphs = {}
    for precision in precisions:
        backend = CompiledBackend(G, device, precision, cache=ModelCache(G, device), background=False)
        if backend.prepare():  # a build that fails is logged, and its row left out
            graphs[f"torch-compiled {precision}"] = backend
    return graphs


def run(args: argparse.Namespace) -> int:
    import json

    from installation.bench.timing import print_table
    from installation.model.loading import load_model, pick_device
    from installation.model.precision import available_precisions
    from installation.timing import device_sync, machine_description

    if args.threads:
        torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    G = load_model(args.model, device)
    theirs = nvidia_generator(G, args.nvidia_repo)
    name = G.config.extra.get("description", args.model)
    precisions = [p for p in ("fp32", "mixed") if p in available_precisions(device)]
    print(f"{name}: {G.img_resolution} px on {device}, {torch.get_num_threads()} threads, batch 1")
    graphs = compiled_graphs(G, device, precisions) if args.nvidia_compiled else None
    result = side_by_side(G, theirs, args.repeats, device_sync(device), precisions, graphs)
    print_table(
        ["generator", "median ms/frame", "best ms", "frames/s", "x NVIDIA", "max |diff| to NVIDIA"],
        [
            [
                key,
                f"{ms:.1f}",
                f"{result['best_ms'][key]:.1f}",
                f"{1000 / ms:.2f}",
                f"{result['speedup'].get(key.removeprefix('ours '), 1.0):.1f}",
                f"{result['max_abs_diff'].get(key.removeprefix('ours '), 0.0):.1e}",
            ]
            for key, ms in result["ms"].items()
        ],
    )
    result.update(machine=machine_description(device), model={"name": name, "resolution": G.img_resolution})
    result["nvidia_repo"] = str(args.nvidia_repo)
    with open(args.json, "w") as f:
        json.dump(result, f, indent=2)
    print(f"wrote {args.json}")
    return 0
