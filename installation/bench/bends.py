"""`run.py bench --bends`: what each bend, the layer view and a model morph cost per frame.

Each transform is timed against the unbent network in alternation (unbent, bent, unbent, ...)
on the same latents, so the machine's noise falls on both; the overhead is their ratio. On a
loaded machine that ratio is noisy, so each transform is also timed alone on the layer's real
activations, at the middle layer and at the last (the largest) one, and given as a share of the
plain frame of its row. Then the graph backends installed here: their plain graph against
their graph with two bends declared and on (translate at the middle layer, dilate at the last),
the amounts moving every frame, and torch eager with the same bends; and their plain graph
against their morph graph (all layers mixed, the amount new every frame: the graph lerps and
folds the mixed weights as it runs), torch eager's morph rewriting its copy.
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from installation.model.bends import BendPlan, layer_names
from installation.show.bend_sections import TRANSFORM_ARGS, BendSettings, bend_parameters
from installation.timing import median_ms


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--bends",
        action="store_true",
        help="time every bend transform, the layer view and a model morph against the plain network, "
        "and two bends inside each graph backend against its plain graph",
    )
    parser.add_argument(
        "--bends-no-graphs",
        action="store_true",
        help="with --bends: leave out the graph backends (their builds take a minute or more)",
    )


def _alternating_ms(plain, other, repeats: int) -> tuple[float, float]:
    """Median ms of `plain()` and `other()`, timed in turn."""
    plain(), other()  # warm-up
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(max(1, repeats)):
        for fn, out in ((plain, times[0]), (other, times[1])):
            start = time.perf_counter()
            fn()
            out.append((time.perf_counter() - start) * 1000)
    return tuple(sorted(t)[len(t) // 2] for t in times)


GRAPH_BENDS = ("translate", "dilate")  # the graph rows' declaration: at the middle and the last layer


def bench_bends(G, precision: str, repeats: int, graphs: bool = True) -> tuple[list[dict], str]:
    """One row per transform at the layer halfway up the network, then the layer view and a morph."""
    from installation.model.layer_view import LayerSeen, LayerView
    from installation.model.mixing import ModelMorph, parse_layers

    layers = layer_names(G)
    layer = layers[len(layers) // 2]
    torch.manual_seed(0)
    c = torch.zeros(1, G.c_dim) if G.c_dim else None
    ws = G.mapping(torch.randn(1, G.z_dim), c, truncation_psi=0.7)

    def render(bend=None, model=G):
        with torch.inference_mode():
            return model.synthesis(ws, precision=precision, bend=bend)

    def activations(name: str) -> torch.Tensor:
        try:
            render(LayerView(name).hook(None))
        except LayerSeen as seen:
            return seen.activations
        raise AssertionError(name)

    def hook_for(transform: str, name: str):
        bend = BendSettings(name="b", layer=name, transform=transform, channels="all")
        values = {p.name: p.default for p in bend_parameters((bend,))}
        values["b"] = 0.5
        return BendPlan((bend,), G).hook(values)

    seen = {name: activations(name) for name in (layer, layers[-1])}
    rows = []
    for transform in TRANSFORM_ARGS:
        hook = hook_for(transform, layer)
        plain_ms, bent_ms = _alternating_ms(render, lambda hook=hook: render(hook), repeats)
        alone = {}
        for name, x in seen.items():
            alone_hook = hook_for(transform, name)
            with torch.inference_mode():
                alone[name] = median_ms(lambda h=alone_hook, n=name, x=x: h(n, x), repeats)
        rows.append(
            dict(
                what=transform,
                layer=layer,
                plain_ms=plain_ms,
                ms=bent_ms,
                alone_ms=alone[layer],
                alone_last_ms=alone[layers[-1]],
            )
        )

    def view():
        try:
            render(LayerView(layers[-1], "pca").hook(None))
        except LayerSeen as seen:
            LayerView(layers[-1], "pca").picture(
                seen.activations, G.synthesis.get_submodule(f"b{G.img_resolution}").size
            )

    plain_ms, view_ms = _alternating_ms(render, view, repeats)
    rows.append(dict(what="layer view (pca, last layer)", layer=layers[-1], plain_ms=plain_ms, ms=view_ms))
    other = type(G).from_state_dict(G.config, {k: v + 0.01 for k, v in G.state_dict().items()})
    morph = ModelMorph(G, other, parse_layers("all"))
    amounts = iter(torch.linspace(0.01, 0.99, 4 * repeats + 4).tolist())

    def morphing():
        render(model=morph.at(next(amounts)))

    plain_ms, morph_ms = _alternating_ms(render, morphing, repeats)
    rows.append(
        dict(what="model morph (new amount every frame)", layer="all", plain_ms=plain_ms, ms=morph_ms)
    )
    if graphs:
        rows += _graph_rows(G, precision, repeats, ws, (layer, layers[-1]), morph)
    for row in rows:
        row["overhead_pct"] = 100 * (row["ms"] / row["plain_ms"] - 1)
        if "alone_last_ms" in row:
            row["alone_last_pct"] = 100 * row["alone_last_ms"] / row["plain_ms"]
    return rows, layers[-1]


def _graph_rows(
    G, precision: str, repeats: int, ws: torch.Tensor, where: tuple[str, str], morph
) -> list[dict]:
    """Per backend here, torch eager first: its plain network against the same with GRAPH_BENDS
    on, their amounts new every frame (a graph backend's graph takes them as inputs), then
    against `morph` (a ModelMorph) with its amount new every frame."""
    import tempfile

    from installation.backends import available_backends, create_backend
    from installation.engine.latents import Latents, render_latents

    bends = tuple(
        BendSettings(name=f"b{i}", layer=name, transform=kind, channels="all")
        for i, (kind, name) in enumerate(zip(GRAPH_BENDS, where, strict=True))
    )
    plan = BendPlan(bends, G)
    defaults = {p.name: p.default for p in bend_parameters(bends)}
    amounts = iter(torch.linspace(0.2, 0.8, 16 * repeats + 16).tolist())

    def bent(backend):
        a = next(amounts)
        render_latents(backend, Latents(ws, bend=plan.hook({**defaults, "b0": a, "b1": 1 - a})), None)

    def morphing(backend):
        render_latents(backend, Latents(ws, mix=(morph, next(amounts))), None)

    what = " + ".join(f"{kind} at {name}" for kind, name in zip(GRAPH_BENDS, where, strict=True))
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-bends-") as cache:
        for name in available_backends("cpu", precision):
            backend = create_backend(G, "cpu", precision, name, cache_dir=cache, background=False)
            if backend.name != name or not backend.prepare():
                continue  # it fell back or a build failed, as logged
            for kind, ready, other in (
                ("2 bends", backend.prepare(None, 1, plan.layouts), bent),
                ("morph", backend.prepare(None, 1, (), morph), morphing),
            ):
                if not ready:
                    continue  # that build failed, as logged
                plain_ms, ms = _alternating_ms(
                    lambda b=backend: b.render(ws), lambda b=backend, o=other: o(b), repeats
                )
                label = what if kind == "2 bends" else "model morph (all layers, new amount every frame)"
                rows.append(dict(what=f"{name}: {label}", layer=kind, plain_ms=plain_ms, ms=ms))
    return rows


def run(args: argparse.Namespace) -> int:
    from installation.bench.generator import Generator, official_config
    from installation.bench.timing import print_table
    from installation.model.loading import load_model
    from installation.timing import machine_description

    if args.threads:
        torch.set_num_threads(args.threads)
    if args.official:
        torch.manual_seed(0)
        G = Generator(official_config(args.official)).requires_grad_(False).eval()
    else:
        G = load_model(args.model, "cpu")
    precision = (args.precisions or "fp32").split(",")[0]
    print(
        f"{G.config.extra.get('description', args.model)}: {G.img_resolution} px on cpu, {precision}, "
        f"{torch.get_num_threads()} threads, batch 1"
    )
    rows, last = bench_bends(G, precision, args.repeats, graphs=not args.bends_no_graphs)
    print_table(
        ["bend", "layer", "plain ms", "bent ms", "overhead", "alone ms", f"alone ms at {last}", "of a frame"],
        [
            [
                r["what"],
                r["layer"],
                f"{r['plain_ms']:.1f}",
                f"{r['ms']:.1f}",
                f"{r['overhead_pct']:+.1f}%",
                f"{r['alone_ms']:.2f}" if "alone_ms" in r else "",
                f"{r['alone_last_ms']:.2f}" if "alone_last_ms" in r else "",
                f"{r['alone_last_pct']:.1f}%" if "alone_last_pct" in r else "",
            ]
            for r in rows
        ],
    )
    result = {
        "rows": rows,
        "machine": machine_description(torch.device("cpu")),
        "precision": precision,
        "model": {"resolution": G.img_resolution, "name": G.config.extra.get("description", args.model)},
    }
    with open(args.json, "w") as f:
        json.dump(result, f, indent=2)
    print(f"\nwrote {args.json}")
    return 0
