"""The parameters every show has, because latent motion reads them.

A show's `[parameters.NAME]` table with one of these names changes only the keys it gives
(e.g. `[parameters.psi] default = 0.5` keeps psi's range and smoothing).
"""

from __future__ import annotations

from collections.abc import Iterable

from installation.params.spec import ParamSpec

MAX_DIRECTIONS = 64
LATENT = "latent"  # the bus's vector entry for a z sent from outside; its length is the model's


def direction_name(index: int) -> str:
    return f"direction_{index}"


def builtin_parameters(direction_count: int) -> tuple[ParamSpec, ...]:
    """Built-ins for a show using `direction_count` semantic directions."""
    fixed = (
        ParamSpec(
            "speed",
            min=0.0,
            max=8.0,
            default=1.0,
            unit="x",
            smoothing=1.0,
            help="how fast motion runs through its loop (0 holds the picture)",
        ),
        ParamSpec(
            "bpm",
            min=20.0,
            max=300.0,
            default=120.0,
            unit="BPM",
            help="tempo, for loops whose period is given in beats",
        ),
        ParamSpec(
            "psi",
            min=0.0,
            max=2.0,
            default=0.7,
            smoothing=0.5,
            help="truncation: 0 is the average picture, 1 the full variety, above 1 wilder",
        ),
        ParamSpec(
            "cutoff",
            type="int",
            min=0,
            max=64,
            default=64,
            unit="layers",
            help="how many ws layers (from the coarsest) psi applies to",
        ),
        ParamSpec(
            "radius",
            min=0.0,
            max=2.0,
            default=0.5,
            smoothing=0.5,
            help="how far the loop or walk strays from the first keyframe",
        ),
        ParamSpec(
            "mix_amount",
            min=0.0,
            max=1.0,
            default=0.0,
            smoothing=0.5,
            help="how much of the second latent source the mixed layers take",
        ),
        ParamSpec(
            "noise_strength",
            min=0.0,
            max=4.0,
            default=1.0,
            smoothing=0.5,
            help="gain on the generator's per-pixel noise",
        ),
        ParamSpec(
            "keyframe",
            type="int",
            min=0,
            max=1023,
            default=0,
            help="writing it jumps to that keyframe (modulo their number)",
        ),
        ParamSpec(
            "rotate",
            min=-180.0,
            max=180.0,
            default=0.0,
            unit="deg",
            smoothing=0.5,
            help="turn the picture (its input field) by this angle (StyleGAN3 models only)",
        ),
        ParamSpec(
            "translate_x",
            min=-1.0,
            max=1.0,
            default=0.0,
            smoothing=0.5,
            help="shift the picture sideways, in picture widths (StyleGAN3 models only)",
        ),
        ParamSpec(
            "translate_y",
            min=-1.0,
            max=1.0,
            default=0.0,
            smoothing=0.5,
            help="shift the picture up or down, in picture heights (StyleGAN3 models only)",
        ),
        ParamSpec(
            "seed",
            type="int",
            min=0,
            max=2**31 - 1,
            default=0,
            help="seed of the loop's and the walk's random directions",
        ),
        ParamSpec(
            "model_mix",
            min=0.0,
            max=1.0,
            default=0.0,
            smoothing=0.5,
            help="morph from the model (0) to model.mix_with (1), in model.mix_layers",
        ),
        ParamSpec(
            "layer_view",
            type="int",
            min=0,
            max=64,
            default=0,
            unit="layer",
            help="0 shows the picture; N shows the activations of the generator's N-th layer instead",
        ),
        ParamSpec(
            "layer_view_channel",
            type="int",
            min=0,
            max=4095,
            default=0,
            help="the channel layer_view shows in [layer_view] mode = channel (and the first tile)",
        ),
    )
    directions = tuple(
        ParamSpec(
            direction_name(i),
            min=-1.0,
            max=1.0,
            default=0.0,
            smoothing=0.3,
            help="amount of this semantic direction (1 = motion.direction_scale sigmas)",
        )
        for i in range(direction_count)
    )
    return fixed + directions


# Parameters that move a StyleGAN3 model's input field; a StyleGAN2 model has none to move.
INPUT_TRANSFORM = frozenset({"rotate", "translate_x", "translate_y"})
MODEL_MIX = "model_mix"  # only a show with a second model (model.mix_with) has anything to mix


def parameters_for_model(
    specs: Iterable[ParamSpec], moves_input: bool, mixes: bool = False
) -> tuple[ParamSpec, ...]:
    """The show's parameters that do something on a model: controls, OSCQuery and the HUD offer
    only these (rotate and translate need a StyleGAN3 model, model_mix a second model)."""
    dropped = (set() if moves_input else INPUT_TRANSFORM) | (set() if mixes else {MODEL_MIX})
    return tuple(s for s in specs if s.name not in dropped)
