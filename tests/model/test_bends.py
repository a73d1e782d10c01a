"""Network bending: amount 0 is the unbent network, each transform does what it says at its
layer, and bends come from the show file as parameters."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from installation.engine.latents import render_latents
from installation.errors import UserError
from installation.model.bends import BendPlan, layer_names
from installation.model.layer_view import LayerSeen, LayerView
from installation.model.ops import upsample2d
from installation.motion.source import ShowSource
from installation.params.bus import ParameterBus
from installation.show.bend_sections import BendSettings, bend_parameters
from installation.show.loader import parse_show
from tests.model.helpers import tiny_generator

LAYER = "b8.conv0"  # 32 channels, 8 x 8 in the tiny generator


def _hook(G, amount: float = 1.0, **settings):
    bend = BendSettings(name="b", layer=settings.pop("layer", LAYER), **settings)
    values = {p.name: p.default for p in bend_parameters((bend,))}
    values["b"] = amount
    return BendPlan((bend,), G).hook(values)


def _dot(row: int, col: int, size: int = 16) -> torch.Tensor:
    x = torch.zeros(1, 32, size, size)
    x[:, :, row, col] = 1.0
    return x


def _where(x: torch.Tensor) -> tuple[int, int]:
    index = int(x[0, 0].flatten().argmax())
    return divmod(index, x.shape[-1])


@pytest.fixture(scope="module")
def G():
    return tiny_generator()


def test_amount_zero_gives_no_hook_and_a_zero_amount_bend_is_never_called(G):
    for transform in ("translate", "noise", "threshold"):
        assert _hook(G, 0.0, transform=transform) is None


def test_translate_rotate_zoom_move_content(G):
    moved = _hook(G, transform="translate", x=0.25, y=-0.125)(LAYER, _dot(8, 4))
    assert _where(moved) == (6, 8)
    half = _hook(G, 0.5, transform="translate", x=0.25, y=0.0)(LAYER, _dot(8, 4))
    assert _where(half) == (8, 6)
    turned = _hook(G, transform="rotate", angle=90.0)(LAYER, _dot(2, 8))
    row, col = _where(turned)
    assert (row, col) != (2, 8) and math.hypot(row - 7.5, col - 7.5) == pytest.approx(
        math.hypot(2 - 7.5, 8 - 7.5)
    )
    ramp = torch.arange(16.0).expand(1, 32, 16, 16).clone()
    zoomed = _hook(G, transform="zoom", scale=2.0)(LAYER, ramp)
    slope = zoomed[0, 0, 8, 2:14].diff()
    assert torch.allclose(slope, torch.full_like(slope, 0.5))  # magnified twice: half the slope


def test_flip_invert_threshold_multiply_ablate(G):
    x = torch.randn(2, 32, 8, 8)
    assert torch.equal(_hook(G, transform="flip", axis="x")(LAYER, x), x.flip(3))
    assert torch.equal(_hook(G, transform="flip", axis="y")(LAYER, x), x.flip(2))
    assert torch.allclose(_hook(G, 0.5, transform="flip", axis="x")(LAYER, x), (x + x.flip(3)) / 2, atol=1e-6)
    assert torch.equal(_hook(G, transform="invert")(LAYER, x), -x)
    assert torch.equal(_hook(G, transform="threshold", level=0.5)(LAYER, x), (x > 0.5).float())
    assert torch.allclose(_hook(G, transform="multiply", factor=3.0)(LAYER, x), 3 * x, atol=1e-6)
    assert torch.allclose(_hook(G, 0.5, transform="multiply", factor=3.0)(LAYER, x), 2 * x, atol=1e-6)
    assert torch.equal(_hook(G, transform="ablate")(LAYER, x), torch.zeros_like(x))


def test_erode_and_dilate(G):
    dot = _dot(5, 5)
    dilated = _hook(G, transform="dilate", size=3)(LAYER, dot)
    assert dilated[0, 0, 4:7, 4:7].eq(1).all() and dilated.sum() == 9 * 32
    assert torch.equal(_hook(G, transform="erode", size=3)(LAYER, dot), torch.zeros_like(dot))
    square = torch.zeros(1, 32, 16, 16)
    square[..., 4:9, 4:9] = 1
    assert _hook(G, transform="erode", size=3)(LAYER, square).sum() == 9 * 32  # 5x5 eroded to 3x3


def test_sin_and_noise_fields_are_added(G):
    zero = torch.zeros(1, 32, 8, 8)
    waves = _hook(G, transform="sin", factor=2.0, frequency=1.0, angle=0.0, phase=0.25)(LAYER, zero)
    assert torch.allclose(waves[0, 0, 0], 2 * torch.cos(2 * math.pi * torch.arange(8) / 8), atol=1e-5)
    assert torch.equal(waves[0, 0, 0], waves[0, 0, 5])  # waves travel along x only
    noise = _hook(G, transform="noise", factor=1.0, seed=3)(LAYER, zero)
    assert torch.equal(noise, _hook(G, transform="noise", factor=1.0, seed=3)(LAYER, zero))
    assert not torch.equal(noise, _hook(G, transform="noise", factor=1.0, seed=4)(LAYER, zero))
    assert 0.5 < float(noise.std()) < 1.5


def test_channel_sets_touch_only_their_channels(G):
    x = torch.randn(1, 32, 8, 8)
    ranged = _hook(G, transform="ablate", channels="4-7")(LAYER, x)
    assert torch.equal(ranged[:, 4:8], torch.zeros(1, 4, 8, 8))
    assert torch.equal(ranged[:, :4], x[:, :4]) and torch.equal(ranged[:, 8:], x[:, 8:])
    picked = _hook(G, transform="ablate", channels="fraction", fraction=0.25, channel_seed=1)(LAYER, x)
    zeroed = [c for c in range(32) if picked[0, c].abs().sum() == 0]
    assert len(zeroed) == 8
    other = _hook(G, transform="ablate", channels="fraction", fraction=0.25, channel_seed=2)(LAYER, x)
    assert zeroed != [c for c in range(32) if other[0, c].abs().sum() == 0]


def test_ablating_the_last_layer_leaves_only_the_coarser_image_and_the_rgb_bias(G):
    ws = G.mapping(torch.randn(2, G.z_dim))
    last = layer_names(G)[-1]
    bent = G.synthesis(ws, bend=_hook(G, transform="ablate", layer=last))
    coarser = G.synthesis(ws, stop_res=16)
    kernel = G.synthesis.b32.resample_filter
    expected = upsample2d(coarser, kernel) + G.synthesis.b32.torgb.bias[None, :, None, None]
    assert torch.allclose(bent, expected, atol=1e-5)


def test_translate_moves_a_trained_models_digits(shared_fixtures):
    from installation.model.loading import load_model

    G = load_model(shared_fixtures / "nv_digits32_trained_redacted.pkl")
    torch.manual_seed(0)
    ws = G.mapping(torch.randn(4, G.z_dim), torch.eye(10)[:4], truncation_psi=0.7)
    base = G.synthesis(ws)
    bent = G.synthesis(ws, bend=_hook(G, transform="translate", layer=16, x=0.25, y=0.0))

    def best_shift(a: torch.Tensor, b: torch.Tensor) -> int:
        a, b = a - a.mean(), b - b.mean()
        return max(range(-12, 13), key=lambda s: float((torch.roll(a, s, dims=-1) * b).sum()))

    assert [best_shift(base[i], bent[i]) for i in range(4)] == [8] * 4  # a quarter of 32 px


SHOW = """
[model]
path = "tiny.pkl"
[render]
device = "cpu"
precision = "fp32"
[motion]
keyframes = [1, 2]
{bends}
"""


@pytest.fixture
def show_on_tiny(tmp_path: Path):
    from tests.sinks.show_files import tiny_checkpoint

    tiny_checkpoint(tmp_path)

    def make(bends: str):
        text = SHOW.format(bends=bends)
        return parse_show(text, tmp_path / "show.toml")

    return make


BENDS = """
[[bends]]
name = "shift"
layer = 16
transform = "translate"
[[bends]]
name = "waves"
layer = "b8.conv1"
transform = "sin"
channels = "0-3"
"""


def test_show_bends_are_parameters_and_amount_zero_renders_the_same_pixels(show_on_tiny):
    from installation.model.loading import load_model

    show = show_on_tiny(BENDS)
    names = {p.name for p in show.parameters}
    assert {"shift", "shift_x", "shift_y", "waves", "waves_frequency", "waves_phase"} <= names
    plain = show_on_tiny("")
    G = load_model(str(show.model.path))
    from installation.backends import TorchEagerBackend

    backend = TorchEagerBackend(G, "cpu", "fp32")
    times = [0.1, 0.4]
    bus = ParameterBus(show.parameters, clock=lambda: 0.0)
    with torch.inference_mode():
        unbent = render_latents(
            backend, ShowSource(plain, G, ParameterBus(plain.parameters)).latents(times), None
        )
        source = ShowSource(show, G, bus)
        zero = source.latents(times)
        assert zero.bend is None
        assert torch.equal(render_latents(backend, zero, None), unbent)
        bus.set("shift", 1.0)
        bus.set("waves", 0.5)
        bent = source.latents([t + 10 for t in times])  # smoothing done
        assert bent.bend is not None
        assert not torch.equal(render_latents(backend, bent, None), unbent)


def test_layer_view_is_a_parameter(show_on_tiny):
    from installation.backends import TorchEagerBackend
    from installation.model.loading import load_model

    show = show_on_tiny('[layer_view]\nmode = "pca"')
    G = load_model(str(show.model.path))
    backend = TorchEagerBackend(G, "cpu", "fp32")
    bus = ParameterBus(show.parameters, clock=lambda: 0.0)
    source = ShowSource(show, G, bus)
    bus.set("layer_view", 4)
    with torch.inference_mode():
        latents = source.latents([0.0, 0.5])
        assert latents.view is not None and latents.view.layer == layer_names(G)[3]
        images = render_latents(backend, latents, None)
        assert images.shape == (2, 3, 32, 32) and images.min() >= -1 and images.max() <= 1
        try:
            G.synthesis(latents.ws, bend=LayerView(latents.view.layer).hook(None))
        except LayerSeen as seen:
            activations = seen.activations
        channel = LayerView(latents.view.layer, "channel", channel=5).picture(activations, (32, 32))
        one = activations[:, 5:6]
        nearest = torch.nn.functional.interpolate(one, size=(32, 32), mode="nearest")
        scaled = (nearest - one.amin((1, 2, 3), keepdim=True)) / (
            one.amax((1, 2, 3), keepdim=True) - one.amin((1, 2, 3), keepdim=True)
        )
        assert torch.allclose(channel, (2 * scaled - 1).expand(-1, 3, -1, -1), atol=1e-5)
        tiled = LayerView(latents.view.layer, "tiled", tiles=4).picture(activations, (32, 32))
        assert tiled.shape == (2, 3, 32, 32)


@pytest.mark.parametrize(
    ("bends", "message"),
    [
        ('[[bends]]\nname = "x"\nlayer = 64\n', "no layer b64.conv1"),
        ('[[bends]]\nname = "x"\nchannels = "0-99"\n', "has channels 0-15, not 0-99"),
    ],
)
def test_bends_the_model_cannot_take_are_one_line_errors(show_on_tiny, bends, message):
    from installation.model.loading import load_model

    show = show_on_tiny(bends)
    G = load_model(str(show.model.path))
    with pytest.raises(UserError, match=message):
        ShowSource(show, G, ParameterBus(show.parameters))


@pytest.mark.parametrize(
    ("bends", "message"),
    [
        ('[[bends]]\nname = "psi"\n', "bends\\[0\\].name: parameter psi already exists"),
        ('[[bends]]\nname = "x"\nchannels = "some"\n', "bends\\[0\\].channels: expected"),
        ('[[bends]]\nname = "x"\ntransform = "melt"\n', "bends\\[0\\].transform: expected one of"),
        ("[[bends]]\nlayer = 8\n", "bends\\[0\\].name: a bend needs a name"),
    ],
)
def test_bad_bends_in_the_show_file_are_one_line_errors(show_on_tiny, bends, message):
    with pytest.raises(UserError, match=message):
        show_on_tiny(bends)


def test_channel_clusters_group_alike_channels_and_are_cached_beside_the_model(show_on_tiny, tmp_path):
    from installation.model.channel_clusters import channel_clusters
    from installation.model.loading import load_model

    show = show_on_tiny(
        '[[bends]]\nname = "g"\nlayer = 16\ntransform = "ablate"\nchannels = "cluster"\nclusters = 3\n'
    )
    G = load_model(str(show.model.path))
    labels = channel_clusters(G)("b16.conv1", 3)
    assert labels.shape == (16,) and set(labels) <= {0, 1, 2}
    cached = list((tmp_path / "tiny.pkl.cache").glob("channel-clusters-*b16.conv1-k3*.npy"))
    assert len(cached) == 1
    source = ShowSource(show, G, ParameterBus(show.parameters))
    hook = source._bends.hook({**source._defaults, "g": 1.0})
    x = torch.randn(1, 16, 16, 16)
    out = hook("b16.conv1", x)
    zeroed = [c for c in range(16) if out[0, c].abs().sum() == 0]
    assert zeroed == [c for c in range(16) if labels[c] == 0]


def test_a_stylegan3_model_refuses_bends_in_one_line(shared_fixtures, tmp_path):
    from installation.model.loading import load_model

    G = load_model(shared_fixtures / "nv_sg3t_32_redacted.pkl")
    text = '[motion]\nkeyframes = [1]\n[[bends]]\nname = "b"\nlayer = 16\n'
    show = parse_show(text, tmp_path / "show.toml")
    with pytest.raises(UserError, match="work on StyleGAN2 models; this one is StyleGAN3"):
        ShowSource(show, G, ParameterBus(show.parameters))
    plain = parse_show("[motion]\nkeyframes = [1]\n", tmp_path / "plain.toml")
    bus = ParameterBus(plain.parameters)
    bus.set("layer_view", 3)  # no StyleGAN2 layers to show: the picture stays
    with torch.inference_mode():
        assert ShowSource(plain, G, bus).latents([0.0]).view is None


@pytest.mark.parametrize("exporting", [False, True])
@pytest.mark.parametrize("size", [2, 4, 7])
def test_erode_and_dilate_are_the_edge_padded_min_and_max_pool(G, size, exporting, monkeypatch):
    """Eager's shifted slices and a graph's pooling (what an export traces) alike; eager's
    bends at amount 1 are exactly them (a graph's blend is within rounding of its lerp)."""
    import torch.nn.functional as F

    from installation.model.bends import _window_extreme

    monkeypatch.setattr(torch.compiler, "is_exporting", lambda: exporting)
    x = torch.randn(2, 32, 8, 8)
    pad = ((size - 1) // 2, size // 2, (size - 1) // 2, size // 2)
    dilated = F.max_pool2d(F.pad(x, pad, mode="replicate"), size, stride=1)
    eroded = -F.max_pool2d(F.pad(-x, pad, mode="replicate"), size, stride=1)
    assert torch.equal(_window_extreme(x, size, torch.maximum), dilated)
    assert torch.equal(_window_extreme(x, size, torch.minimum), eroded)
    if not exporting:
        assert torch.equal(_hook(G, transform="dilate", size=size)(LAYER, x), dilated)
        assert torch.equal(_hook(G, transform="erode", size=size)(LAYER, x), eroded)


def test_graph_form_leaves_a_layer_exactly_unbent_at_amount_zero(G):
    """Inside a graph the amounts are inputs (no bend is skipped): each one's output is
    selected away at 0, whatever its arguments, and taken as eager's at other amounts."""
    from installation.show.bend_sections import TRANSFORM_ARGS

    bends = tuple(BendSettings(name=f"b{i}", layer=LAYER, transform=t) for i, t in enumerate(TRANSFORM_ARGS))
    plan = BendPlan(bends, G)
    values = {p.name: p.default for p in bend_parameters(bends)}
    x = torch.randn(1, 32, 8, 8)
    zero = plan.hook({**values, "b0": 1e-30})  # one amount on, so there is a bending at all
    params = zero.params.clone()
    params[:, 0] = 0
    assert torch.equal(plan.transforms.apply(LAYER, x, params), x)
    on = plan.hook({**values, "b5": 0.5})  # dilate alone
    assert torch.equal(plan.transforms.apply(LAYER, x, on.params), on(LAYER, x))
