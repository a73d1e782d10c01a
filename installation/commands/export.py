"""`run.py export MODEL --out g.onnx`: the synthesis network as an ONNX graph (ws in, image out)."""

from __future__ import annotations

import argparse

NAME = "export"
HELP = "export the synthesis network to ONNX (ws and noise gain in, RGB out), checked against torch"

UINT8_TOLERANCE = 1  # pixel levels: a float difference of 1e-5 may round the other way


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", nargs="?", default="default", help="checkpoint file or 'default'")
    parser.add_argument("--out", required=True, help="the .onnx file to write")
    parser.add_argument(
        "--stop-res", type=int, default=None, help="stop at this block (default: full resolution)"
    )
    parser.add_argument("--batch", type=int, default=1, help="batch size fixed in the graph (default 1)")
    parser.add_argument(
        "--dynamic-batch",
        action="store_true",
        help="batch as a dynamic axis (shared-weight convolutions: slower at high res)",
    )
    parser.add_argument("--precision", choices=("fp32", "fp16", "bf16"), default="fp32")
    parser.add_argument(
        "--uint8", action="store_true", help="output [B, H, W, C] uint8 pixels instead of float"
    )


def run(args: argparse.Namespace) -> int:
    from installation.backends import TorchEagerBackend
    from installation.backends.graph import export_onnx, export_program, takes_transform
    from installation.errors import UserError
    from installation.model.filtered_lrelu import sliced_windows
    from installation.model.loading import load_model

    G = load_model(args.model, "cpu")
    cfg = G.config
    stop = args.stop_res or cfg.img_resolution
    allowed = TorchEagerBackend(G, "cpu", "fp32").resolutions
    if stop not in allowed:
        raise UserError(f"--stop-res must be one of {allowed} for this model, not {stop}")
    if args.batch < 1:
        raise UserError("--batch must be at least 1")
    print(
        f"exporting {cfg.extra.get('description', args.model)}: {stop} px, "
        f"batch {'dynamic' if args.dynamic_batch else args.batch}, {args.precision}"
    )
    try:
        with sliced_windows():  # ONNX has no strided views (StyleGAN3's resampling)
            program = export_program(
                G, stop, args.batch, args.precision, uint8=args.uint8, dynamic_batch=args.dynamic_batch
            )
        path = export_onnx(program, args.out, transform=takes_transform(G))
    except Exception as error:  # the exporter's own message says which operator it could not take
        raise UserError(f"ONNX export failed: {str(error).strip().splitlines()[0]}") from error
    output = "[B, H, W, C] uint8" if args.uint8 else "[B, C, H, W] float32"
    print(
        f"wrote {path} ({path.stat().st_size / 2**20:.1f} MiB): inputs ws [B, {cfg.num_ws}, {cfg.w_dim}] "
        f"float32, noise_gain [B] float32{', transform [B, 3, 3] float32' * takes_transform(G)}; "
        f"output img {output}"
    )
    check(G, path, stop, args.batch + (1 if args.dynamic_batch else 0), args.precision, args.uint8)
    return 0


def check(G, path, stop_res: int, batch: int, precision: str, uint8: bool) -> None:
    """Run the graph in onnxruntime's CPU provider and compare it with torch eager in fp32.

    A dynamic-batch graph is checked at a batch size other than the traced one."""
    import numpy as np
    import onnxruntime
    import torch

    from installation.backends.graph import example_inputs, file_transforms
    from installation.backends.onnxrt import session_options
    from installation.bench.generator import TOLERANCES
    from installation.errors import UserError
    from installation.model.imaging import to_uint8

    try:
        session = onnxruntime.InferenceSession(
            str(path), session_options(), providers=["CPUExecutionProvider"]
        )
    except Exception as error:  # noqa: BLE001 - e.g. no bf16 convolutions on the CPU provider
        print(f"not checked: onnxruntime's CPU provider cannot load it ({str(error).splitlines()[0][:160]})")
        return
    ws, _ = example_inputs(G, batch)
    gain = torch.linspace(0.0, 2.0, batch)
    names = {i.name for i in session.get_inputs()}
    feeds = {"ws": ws, "noise_gain": gain}
    if "transform" in names:  # StyleGAN3: the file's own input transform
        feeds["transform"] = file_transforms(G, batch)
    got = session.run(None, {k: v.numpy() for k, v in feeds.items() if k in names})[0]
    with torch.no_grad():
        want = G.synthesis(ws, stop_res=stop_res, noise_gain=gain)
    if uint8:
        levels = int(np.abs(got.astype(np.int16) - to_uint8(want).astype(np.int16)).max())
        ok, what = levels <= UINT8_TOLERANCE, f"max |diff| = {levels} levels (tolerance {UINT8_TOLERANCE})"
    else:
        rel = float(np.abs(got - want.numpy()).max() / want.std())
        tolerance = TOLERANCES[precision]
        ok, what = rel <= tolerance, f"max |diff| / std = {rel:.1e} (tolerance {tolerance:.0e})"
    print(f"onnxruntime {precision} vs torch fp32 at batch {batch}: {what}: {'ok' if ok else 'FAILED'}")
    if not ok:
        raise UserError(f"the exported graph does not match torch: {what}")
