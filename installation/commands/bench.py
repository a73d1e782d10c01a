"""`run.py bench [MODEL]`: generator speed tables, written as JSON too."""

from __future__ import annotations

import argparse

NAME = "bench"
HELP = "measure generator speed per precision, batch size and block; prints a table, writes JSON"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", nargs="?", default="default", help="checkpoint file or 'default'")
    parser.add_argument(
        "--official",
        type=int,
        choices=(256, 512, 1024),
        default=None,
        help="time NVIDIA's official config at this resolution, random weights",
    )
    parser.add_argument("--batches", default="1,2,4,8", help="batch sizes (default 1,2,4,8)")
    parser.add_argument("--precisions", default=None, help="e.g. fp32,mixed,bf16 (default: all available)")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per cell (median)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--json", default="bench.json", help="where to write the results")
    # The live loop (installation/bench/loop.py): --loop SHOW and its options.
    from installation.bench.loop import add_arguments as add_loop_arguments

    add_loop_arguments(parser)
    # Every backend and precision side by side (installation/bench/backends.py): --backends.
    from installation.bench.backends import add_arguments as add_backend_arguments

    add_backend_arguments(parser)
    # Ours against NVIDIA's own generator from the user's checkout (installation/bench/nvidia.py).
    from installation.bench.nvidia import add_arguments as add_nvidia_arguments

    add_nvidia_arguments(parser)
    # Control surfaces (installation/bench/control.py): --control and its options.
    from installation.bench.control import add_arguments as add_control_arguments

    add_control_arguments(parser)
    # Network bending, the layer view and model morphs (installation/bench/bends.py): --bends.
    from installation.bench.bends import add_arguments as add_bend_arguments

    add_bend_arguments(parser)
    # Output sinks (installation/bench/outputs.py): --outputs.
    from installation.bench.outputs import add_arguments as add_output_arguments

    add_output_arguments(parser)
    # display.scale per refresh (installation/bench/scaling.py): --scaling.
    from installation.bench.scaling import add_arguments as add_scaling_arguments

    add_scaling_arguments(parser)
    # Sound in (installation/bench/audio.py): --audio and its options.
    from installation.bench.audio import add_arguments as add_audio_arguments

    add_audio_arguments(parser)
    # A native canvas against the square model (installation/bench/canvas.py): --canvas SPEC.
    from installation.bench.canvas import add_arguments as add_canvas_arguments

    add_canvas_arguments(parser)
    # A wall's tiles against the whole canvas (installation/bench/wall.py): --wall COLS,ROWS.
    from installation.bench.wall import add_arguments as add_wall_arguments

    add_wall_arguments(parser)
    # The web control page's cost to the loop (installation/bench/web.py): --web.
    from installation.bench.web import add_arguments as add_web_arguments

    add_web_arguments(parser)
    # A render here against the same render on a local Ray cluster (installation/bench/farm.py).
    from installation.bench.farm import add_arguments as add_farm_arguments

    add_farm_arguments(parser)
    # Soak test of the gallery renderer (installation/bench/soak.py), instead of the speed tables.
    parser.add_argument(
        "--soak",
        type=float,
        metavar="SECONDS",
        default=None,
        help="run the gallery renderer this long with OSC firing; report memory over time",
    )


def run(args: argparse.Namespace) -> int:
    if args.loop:  # the live loop, measured while it plays (installation/bench/loop.py)
        from installation.bench.loop import run as run_loop

        return run_loop(args)
    if args.backends:  # backends side by side (installation/bench/backends.py)
        from installation.bench.backends import run as run_backends

        return run_backends(args)
    if args.nvidia_repo:  # side by side with NVIDIA's generator (installation/bench/nvidia.py)
        from installation.bench.nvidia import run as run_nvidia

        return run_nvidia(args)
    if args.control:  # input latency and OSC load (installation/bench/control.py)
        from installation.bench.control import run as run_control

        return run_control(args)
    if args.bends:  # bends, layer view and morphs against the plain network (installation/bench/bends.py)
        from installation.bench.bends import run as run_bends

        return run_bends(args)
    if args.outputs:  # output sinks' cost (installation/bench/outputs.py)
        from installation.bench.outputs import run as run_outputs

        return run_outputs(args)
    if args.scaling:  # display.scale per refresh (installation/bench/scaling.py)
        from installation.bench.scaling import run as run_scaling

        return run_scaling(args)
    if args.audio:  # audio latency through JACK, and the analysis cost (installation/bench/audio.py)
        from installation.bench.audio import run as run_audio

        return run_audio(args)
    if args.canvas:  # a canvas by each fill against the square model (installation/bench/canvas.py)
        from installation.bench.canvas import run as run_canvas

        return run_canvas(args)
    if args.wall:  # tiles against the whole canvas: seam error, cost (installation/bench/wall.py)
        from installation.bench.wall import run as run_wall

        return run_wall(args)
    if args.web:  # the web page's cost to the loop (installation/bench/web.py)
        from installation.bench.web import run as run_web

        return run_web(args)
    if args.farm:  # a render here and on Ray, side by side (installation/bench/farm.py)
        from installation.bench.farm import run as run_farm

        return run_farm(args)
    if args.soak is not None:
        from installation.bench.soak import run_soak

        return run_soak(args.soak, args.json)
    import json

    import torch

    from installation.bench.generator import bench_generator, chosen_precisions, official_config
    from installation.bench.timing import print_table
    from installation.errors import UserError
    from installation.model.generator import Generator
    from installation.model.loading import load_model, pick_device
    from installation.timing import machine_description

    if args.threads:
        torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    if args.official:
        torch.manual_seed(0)
        G = Generator(official_config(args.official)).requires_grad_(False).eval().to(device)
    else:
        G = load_model(args.model, device)
    try:
        batches = [int(b) for b in args.batches.split(",")]
    except ValueError:
        raise UserError(f"bad --batches {args.batches!r}: use e.g. 1,2,4") from None
    precisions = chosen_precisions(device, args.precisions)
    model_name = G.config.extra.get("description", args.model)
    print(f"{model_name}: {G.img_resolution} px on {device}, {torch.get_num_threads()} threads")
    result = bench_generator(G, device, precisions, batches, args.repeats)
    base = {r["batch"]: r["ms_per_frame"] for r in result["rows"] if r["precision"] == "fp32"}
    rows = [
        [
            r["precision"],
            r["batch"],
            f"{r['ms_per_frame']:.1f}",
            f"{r['fps']:.2f}",
            f"{r['mapping_ms']:.2f}",
            f"{r['synthesis_ms']:.1f}",
            f"{base[r['batch']] / r['ms_per_frame']:.2f}x" if r["batch"] in base else "",
        ]
        for r in result["rows"]
    ]
    print_table(["precision", "batch", "ms/frame", "frames/s", "mapping ms", "synthesis ms", "vs fp32"], rows)
    if any(result["blocks"].values()):
        print("\ncumulative ms until each block's image exists (batch 1):")
        res_list = G.synthesis.block_resolutions
        print_table(
            ["precision", *map(str, res_list)],
            [[p, *(f"{t[r]:.1f}" for r in res_list)] for p, t in result["blocks"].items() if t],
        )
    print("\nfast paths against fp32 (max |diff| / std of the fp32 image):")
    print_table(
        ["path", "max |diff|", "relative", "tolerance", "ok"],
        [
            [p, f"{a['max_abs_err']:.2e}", f"{a['rel_err']:.2e}", a["tolerance"], a["ok"]]
            for p, a in result["accuracy"].items()
        ],
    )
    result["machine"] = machine_description(device)
    result["model"] = {"name": model_name, "resolution": G.img_resolution}
    with open(args.json, "w") as f:
        json.dump(result, f, indent=2)
    print(f"\nwrote {args.json}")
    return 0
