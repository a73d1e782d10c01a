"""Write small checkpoints in each supported layout from an NVIDIA-named state dict (the inverse
conversions of spec §2.4 and §3.3), plus hostile files. Test helpers only: the product never
imports dnnlib or torch_utils; here throwaway modules stand in so that pickle writes those globals.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import pickle
import re
import sys
import types
import zipfile
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
import torch

from installation.model import Generator, GeneratorConfig
from installation.model.ops import fir_filter_2d

SQRT2 = np.float64(math.sqrt(2))
BUFFERS = ("w_avg", "noise_const", "resample_filter")


# ----------------------------------------------------------------------------------------------
# Reference generators


def small_config(**overrides: Any) -> GeneratorConfig:
    """A 16x16 generator: fast enough to render many times per test run."""
    c_dim = overrides.pop("c_dim", 0)
    embed = 32 if c_dim else 0
    kw = dict(
        z_dim=32,
        w_dim=32,
        c_dim=c_dim,
        img_resolution=16,
        img_channels=3,
        mapping_layers=2,
        mapping_features=(32 + embed, 32, 32),
        channels={4: 32, 8: 24, 16: 16},
        conv_clamp=256.0,
        num_fp16_res=2,
        embed_features=embed,
    )
    kw.update(overrides)
    return GeneratorConfig(**kw)


def random_state(config: GeneratorConfig, seed: int = 0) -> dict[str, torch.Tensor]:
    """Every tensor moved away from its initial value, so a dropped or misread one shows."""
    gen = torch.Generator().manual_seed(seed)
    state = Generator(config).state_dict()
    return {k: v + 0.2 * torch.randn(v.shape, generator=gen) for k, v in state.items()}


def reference_generator(config: GeneratorConfig, state: dict[str, torch.Tensor]) -> Generator:
    return Generator.from_state_dict(config, state)


def resample_filter(config: GeneratorConfig) -> torch.Tensor:
    """The filter buffer a file of this generator stores ([1,3,3,1] unless a test picks another)."""
    return torch.tensor(config.resample_filter, dtype=torch.float32)


# ----------------------------------------------------------------------------------------------
# Stand-in modules, so pickle writes the globals that real files contain


@contextlib.contextmanager
def fake_modules(**modules: dict[str, Any]):
    """Register throwaway modules (dotted names, with their parents) in sys.modules while pickling."""
    added = []
    for dotted, attrs in modules.items():
        parts = dotted.split(".")
        for i in range(1, len(parts) + 1):
            name = ".".join(parts[:i])
            if name not in sys.modules:
                sys.modules[name] = types.ModuleType(name)
                added.append(name)
        for attr, value in attrs.items():
            value.__module__ = dotted
            value.__qualname__ = attr
            setattr(sys.modules[dotted], attr, value)
    try:
        yield
    finally:
        for name in added:
            del sys.modules[name]


def _reconstruct_persistent_obj(meta: dict) -> None:  # pickled by name only
    raise AssertionError("never called")


class EasyDict(dict):
    pass


class Persistent:
    """Pickles as NVIDIA's persistence wrapper does: a call of _reconstruct_persistent_obj(meta)."""

    def __init__(self, class_name: str, state: dict, module_src: str) -> None:
        self.meta = dict(type="class", version=6, module_src=module_src, class_name=class_name, state=state)

    def __reduce__(self):
        return _reconstruct_persistent_obj, (self.meta,)


class Network:
    """Pickles as dnnlib.tflib.network.Network does: NEWOBJ + BUILD with its state dict."""

    def __init__(self, state: dict) -> None:
        self._state = state

    def __getstate__(self) -> dict:
        return self._state


def _nvlabs_globals():
    return fake_modules(
        **{
            "torch_utils.persistence": {"_reconstruct_persistent_obj": _reconstruct_persistent_obj},
            "dnnlib.util": {"EasyDict": EasyDict},
        }
    )


# ----------------------------------------------------------------------------------------------
# NVlabs PyTorch network pickle (spec §1)


def _class_name(path: str) -> str:
    for pattern, name in (
        (r"", "Generator"),
        (r"mapping", "MappingNetwork"),
        (r"synthesis", "SynthesisNetwork"),
        (r"synthesis\.b\d+", "SynthesisBlock"),
        (r".*\.conv[01]", "SynthesisLayer"),
        (r".*\.torgb", "ToRGBLayer"),
        (r".*\.skip", "Conv2dLayer"),
        (r"synthesis\.input", "SynthesisInput"),
        (r"synthesis\.L\d+_.*", "SynthesisLayer"),
    ):
        if re.fullmatch(pattern, path):
            return name
    return "FullyConnectedLayer"


def _attributes(path: str, cls: str, config: GeneratorConfig, flat: bool) -> dict:
    """The plain attributes NVIDIA's constructors set (spec §1.3)."""
    if cls == "Generator":
        synthesis = dict(
            channel_base=2048, channel_max=128, num_fp16_res=config.num_fp16_res, conv_clamp=config.conv_clamp
        )
        mapping = EasyDict(num_layers=config.mapping_layers)
        init = dict(z_dim=config.z_dim, w_dim=config.w_dim, mapping_kwargs=mapping)
        init.update(synthesis if flat else dict(synthesis_kwargs=EasyDict(synthesis)))
        init.update(c_dim=config.c_dim, img_resolution=config.img_resolution, img_channels=3)
        return dict(
            z_dim=config.z_dim,
            c_dim=config.c_dim,
            w_dim=config.w_dim,
            num_ws=config.num_ws,
            _init_args=(),
            _init_kwargs=init,
        )
    if cls == "MappingNetwork":
        return dict(
            z_dim=config.z_dim, num_ws=config.num_ws, num_layers=config.mapping_layers, w_avg_beta=0.995
        )
    if cls == "SynthesisNetwork":
        extra = dict(num_fp16_res=config.num_fp16_res) if flat else {}
        return dict(block_resolutions=config.block_resolutions, num_ws=config.num_ws, **extra)
    if cls == "SynthesisBlock":
        res = int(path.rsplit(".b", 1)[1])
        return dict(
            resolution=res,
            architecture=config.architecture,
            use_fp16=res in config.fp16_resolutions,
            is_last=res == config.img_resolution,
            channels_last=False,
        )
    if cls == "SynthesisLayer":
        return dict(
            up=2 if path.endswith("conv0") else 1,
            activation="lrelu",
            conv_clamp=config.conv_clamp,
            padding=1,
            act_gain=SQRT2,
            use_noise=config.use_noise,
        )
    if cls == "ToRGBLayer":
        return dict(conv_clamp=config.conv_clamp)
    if cls == "FullyConnectedLayer":
        mapping = re.fullmatch(r"mapping\.fc\d+", path) is not None
        lr = config.mapping_lr_multiplier if mapping else 1
        return dict(
            activation=config.mapping_activation if mapping else "linear",
            bias_gain=lr,
            weight_gain=np.float64(lr / 4),
        )
    return {}


def _module_tree(
    state: dict,
    config: GeneratorConfig,
    flat: bool,
    attributes: bool,
    module_src: str,
    classes: dict,
    filters: dict,
) -> Persistent:
    paths = {""}
    for name in state:
        parts = name.split(".")[:-1]
        paths.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))

    def build(path: str) -> Persistent:
        prefix = f"{path}." if path else ""
        own = {
            n[len(prefix) :]: t
            for n, t in state.items()
            if n.startswith(prefix) and "." not in n[len(prefix) :]
        }
        children = sorted(
            p for p in paths if p.startswith(prefix) and p != path and "." not in p[len(prefix) :]
        )
        cls = classes.get(path) or _class_name(path)
        module_state = {
            "training": False,
            "_parameters": {
                k: torch.nn.Parameter(v, requires_grad=False) for k, v in own.items() if k not in BUFFERS
            },
            "_buffers": {k: v for k, v in own.items() if k in BUFFERS},
            "_non_persistent_buffers_set": set(),
            "_forward_hooks": OrderedDict(),
            "_modules": {c[len(prefix) :]: build(c) for c in children},
        }
        if cls in ("SynthesisBlock", "SynthesisLayer", "Conv2dLayer"):
            taps = filters.get(path)
            kernel = resample_filter(config) if taps is None else fir_filter_2d(taps=taps)
            module_state["_buffers"]["resample_filter"] = kernel
        if attributes:
            module_state.update(_attributes(path, cls, config, flat))
        elif cls == "Generator":  # keep only what the loader falls back on
            module_state["_init_kwargs"] = _attributes(path, cls, config, flat)["_init_kwargs"]
        return Persistent(cls, module_state, module_src)

    return build("")


def write_nvlabs_pickle(
    path: Path,
    state: dict,
    config: GeneratorConfig,
    *,
    flat: bool = False,
    attributes: bool = True,
    module_src: str = "# source text of training/networks.py\n",
    classes: dict[str, str] | None = None,
    D: Any = None,
    filters: dict[str, tuple[float, ...]] | None = None,
) -> None:
    """A network pickle as the ada trainer writes it (`flat`: the stylegan3 repo's kwargs;
    `classes`: class names for module paths, overriding StyleGAN2's; `D`: the discriminator;
    `filters`: resample filter taps for module paths, overriding the config's)."""
    args = (config, flat, attributes, module_src, classes or {}, filters or {})
    G_ema = _module_tree(state, *args)
    G = _module_tree({k: v + 1 for k, v in state.items()}, *args)
    top = dict(
        training_set_kwargs=dict(class_name="training.dataset.ImageFolderDataset", resolution=16),
        G=G,
        D=D,
        G_ema=G_ema,
        augment_pipe=None,
    )
    with _nvlabs_globals():
        path.write_bytes(pickle.dumps(top, protocol=4))


# ----------------------------------------------------------------------------------------------
# NVlabs TensorFlow pickle (spec §2)


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().numpy().astype(np.float32)


def _tf_conv(weight: torch.Tensor, flip: bool = False) -> np.ndarray:
    w = _np(weight).transpose(2, 3, 1, 0)  # [out, in, kh, kw] -> [kh, kw, in, out]
    return np.ascontiguousarray(w[::-1, ::-1] if flip else w)


def _tf_modulated(state: dict, layer: str, scope: str, flip: bool = False) -> list:
    out = [
        (f"{scope}/weight", _tf_conv(state[f"{layer}.weight"], flip)),
        (f"{scope}/bias", _np(state[f"{layer}.bias"])),
        (f"{scope}/mod_weight", _np(state[f"{layer}.affine.weight"]).T.copy()),
        (f"{scope}/mod_bias", _np(state[f"{layer}.affine.bias"]) - 1),
    ]
    if f"{layer}.noise_strength" in state:
        out.append((f"{scope}/noise_strength", np.float32(state[f"{layer}.noise_strength"].item())))
    return out


def tf_networks(
    state: dict, config: GeneratorConfig, *, lod_torgbs: bool = False, build: str = "G_main"
) -> Network:
    """The Gs network of a TF pickle. `lod_torgbs`: name ToRGBs `ToRGB_lod{n}` (with unused lower ones)."""
    R = config.img_resolution
    mapping = []
    for i in range(config.mapping_layers):
        mapping += [
            (f"Dense{i}/weight", _np(state[f"mapping.fc{i}.weight"]).T.copy()),
            (f"Dense{i}/bias", _np(state[f"mapping.fc{i}.bias"])),
        ]
    if config.c_dim:
        mapping += [
            ("LabelEmbed/weight", _np(state["mapping.embed.weight"]).T.copy()),
            ("LabelEmbed/bias", _np(state["mapping.embed.bias"])),
        ]
    synthesis = [("4x4/Const/const", _np(state["synthesis.b4.const"])[None])]
    synthesis += _tf_modulated(state, "synthesis.b4.conv1", "4x4/Conv")
    noises = [("noise0", _np(state["synthesis.b4.conv1.noise_const"])[None, None])]
    for r in config.block_resolutions:
        k = int(math.log2(r))
        if r > 4:
            synthesis += _tf_modulated(state, f"synthesis.b{r}.conv0", f"{r}x{r}/Conv0_up", flip=True)
            synthesis += _tf_modulated(state, f"synthesis.b{r}.conv1", f"{r}x{r}/Conv1")
            noises += [
                (f"noise{2 * k - 5}", _np(state[f"synthesis.b{r}.conv0.noise_const"])[None, None]),
                (f"noise{2 * k - 4}", _np(state[f"synthesis.b{r}.conv1.noise_const"])[None, None]),
            ]
        if f"synthesis.b{r}.skip.weight" in state:
            synthesis.append(
                (f"{r}x{r}/Skip/weight", _tf_conv(state[f"synthesis.b{r}.skip.weight"], flip=True))
            )
        if f"synthesis.b{r}.torgb.weight" in state:
            scope = f"ToRGB_lod{int(math.log2(R // r))}" if lod_torgbs else f"{r}x{r}/ToRGB"
            synthesis += _tf_modulated(state, f"synthesis.b{r}.torgb", scope)
        elif lod_torgbs:  # progressive-growing leftovers an 'orig' generator never uses
            C, lod = config.channels[r], int(math.log2(R // r))
            shapes = {"weight": (1, 1, C, 3), "bias": (3,), "mod_weight": (config.w_dim, C), "mod_bias": (C,)}
            synthesis += [(f"ToRGB_lod{lod}/{n}", np.full(s, 7.0, np.float32)) for n, s in shapes.items()]
    kwargs = dict(
        latent_size=config.z_dim,
        label_size=config.c_dim,
        dlatent_size=config.w_dim,
        resolution=R,
        mapping_layers=config.mapping_layers,
        fmap_base=1024,
        fmap_max=32,
        architecture=config.architecture,
        conv_clamp=config.conv_clamp,
        num_fp16_res=config.num_fp16_res,
        mapping_lrmul=config.mapping_lr_multiplier,
        truncation_psi=0.5,
        resample_kernel=[list(row) for row in config.resample_filter],
    )

    def net(name: str, func: str, variables: list, components: dict | None = None) -> Network:
        return Network(
            dict(
                version=4,
                name=name,
                static_kwargs=kwargs,
                components=components or {},
                build_module_src="# training/networks_stylegan2.py\n",
                build_func_name=func,
                variables=variables,
            )
        )

    return net(
        "G",
        build,
        [("lod", np.float32(0)), ("dlatent_avg", _np(state["mapping.w_avg"]))],
        {
            "synthesis": net("G_synthesis", "G_synthesis_stylegan2", synthesis + noises),
            "mapping": net("G_mapping", "G_mapping", mapping),
        },
    )


def tf_pickle_bytes(networks: Any) -> bytes:
    with fake_modules(**{"dnnlib.tflib.network": {"Network": Network}}):
        return pickle.dumps(networks, protocol=4)


def write_tf_pickle(path: Path, state: dict, config: GeneratorConfig, **kw: Any) -> None:
    """(G, D, Gs) as misc.save_pkl writes it; G holds other weights, so picking it would show."""
    Gs = tf_networks(state, config, **kw)
    G = tf_networks({k: v * 0.5 for k, v in state.items()}, config, **kw)
    D = Network(
        dict(
            version=4,
            name="D",
            static_kwargs={},
            components={},
            build_module_src="",
            build_func_name="D_stylegan2",
            variables=[("Output/bias", np.zeros(1, np.float32))],
        )
    )
    path.write_bytes(tf_pickle_bytes((G, D, Gs)))


# ----------------------------------------------------------------------------------------------
# rosinality stylegan2-pytorch (spec §3)


def _rosinality_layer(
    state: dict, config: GeneratorConfig, layer: str, module: str, out: dict, up: bool = False
) -> None:
    out[f"{module}.conv.weight"] = state[f"{layer}.weight"][None]
    out[f"{module}.conv.modulation.weight"] = state[f"{layer}.affine.weight"]
    out[f"{module}.conv.modulation.bias"] = state[f"{layer}.affine.bias"]
    if up:
        out[f"{module}.conv.blur.kernel"] = resample_filter(config) * 4
    if layer.endswith("torgb"):
        out[f"{module}.bias"] = state[f"{layer}.bias"].reshape(1, -1, 1, 1)
    else:
        out[f"{module}.noise.weight"] = state[f"{layer}.noise_strength"].reshape(1)
        out[f"{module}.activate.bias"] = state[f"{layer}.bias"]


def rosinality_g_ema(state: dict, config: GeneratorConfig) -> OrderedDict:
    """g_ema.state_dict() of the rosinality generator equal in function to `state`."""
    out: OrderedDict = OrderedDict()
    for i in range(config.mapping_layers):
        out[f"style.{i + 1}.weight"] = state[f"mapping.fc{i}.weight"]
        out[f"style.{i + 1}.bias"] = state[f"mapping.fc{i}.bias"]
    out["input.input"] = state["synthesis.b4.const"][None]
    _rosinality_layer(state, config, "synthesis.b4.conv1", "conv1", out)
    _rosinality_layer(state, config, "synthesis.b4.torgb", "to_rgb1", out)
    noises = [state["synthesis.b4.conv1.noise_const"]]
    for j, r in enumerate(config.block_resolutions[1:]):
        _rosinality_layer(state, config, f"synthesis.b{r}.conv0", f"convs.{2 * j}", out, up=True)
        _rosinality_layer(state, config, f"synthesis.b{r}.conv1", f"convs.{2 * j + 1}", out)
        _rosinality_layer(state, config, f"synthesis.b{r}.torgb", f"to_rgbs.{j}", out)
        out[f"to_rgbs.{j}.upsample.kernel"] = resample_filter(config) * 4
        noises += [state[f"synthesis.b{r}.conv0.noise_const"], state[f"synthesis.b{r}.conv1.noise_const"]]
    for i, noise in enumerate(noises):
        out[f"noises.noise_{i}"] = noise[None, None]
    return out


def rosinality_train_dict(state: dict, config: GeneratorConfig, arch: str = "stylegan2") -> dict:
    """What train.py saves: no latent_avg, and the options as an argparse.Namespace."""
    g_ema = rosinality_g_ema(state, config)
    args = argparse.Namespace(
        size=config.img_resolution,
        latent=config.w_dim,
        n_mlp=config.mapping_layers,
        channel_multiplier=2,
        arch=arch,
        r1=10.0,
        path="/data/lmdb",
    )
    return {
        "g": OrderedDict((k, v * 0.5) for k, v in g_ema.items()),
        "d": OrderedDict([("convs.0.0.weight", torch.ones(8, 3, 1, 1))]),
        "g_ema": g_ema,
        "g_optim": {"state": {}, "param_groups": [{"lr": 0.002, "betas": (0, 0.99), "params": [0, 1]}]},
        "d_optim": {"state": {}, "param_groups": []},
        "args": args,
        "ada_aug_p": 0.0,
    }


# ----------------------------------------------------------------------------------------------
# Hostile files


def reduce_pickle(module: str, name: str, *args: Any) -> bytes:
    """A protocol-4 pickle that calls module.name(*args) when loaded by the stock unpickler."""
    call = b"c" + f"{module}\n{name}\n".encode() + pickle.dumps(args, protocol=3)[2:-1] + b"R"
    return b"\x80\x04" + call + b"."


def replace_in_zip(src: Path, dst: Path, suffix: str, data: bytes) -> None:
    """Copy a zip, swapping the content of the member whose name ends with `suffix`."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            zout.writestr(info, data if info.filename.endswith(suffix) else zin.read(info))


def torch_save_bytes(obj: Any, legacy: bool = False) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf, _use_new_zipfile_serialization=not legacy)
    return buf.getvalue()


def rewrite_nvlabs_pickle(source: Path, target: Path, edit) -> None:
    """Copy a genuine network pickle to `target` after `edit(top)` changed its records in place
    (records as the safe loader reads them: `PersistentRecord`s with a `state` dict)."""
    from installation.checkpoints.safe_pickle import PersistentRecord, safe_load

    with source.open("rb") as f:
        top = safe_load(f)
    edit(top)

    def persistent(value: Any) -> Any:
        if isinstance(value, PersistentRecord):
            return Persistent(value.class_name, persistent(value.state), value.module_src)
        if isinstance(value, dict):
            return type(value)((k, persistent(v)) for k, v in value.items())
        return value

    with _nvlabs_globals():
        target.write_bytes(pickle.dumps(persistent(top), protocol=4))
