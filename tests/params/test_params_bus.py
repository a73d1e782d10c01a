"""The parameter bus: clamping, smoothing as a function of time, triggers, threads."""

import math
import threading

import numpy as np
import pytest

from installation.params import ParameterBus, ParamSpec, builtin_parameters
from installation.show.schema import SchemaError

SPECS = [
    ParamSpec("level", min=-1.0, max=1.0, default=0.0),
    ParamSpec("glide", min=0.0, max=10.0, default=0.0, smoothing=2.0),
    ParamSpec("ramp", min=0.0, max=10.0, default=0.0, smoothing=2.0, slew="linear"),
    ParamSpec("steps", type="int", min=0, max=8, default=3),
    ParamSpec("on", type="bool"),
    ParamSpec("flash", type="trigger"),
]


def bus(**kw) -> ParameterBus:
    return ParameterBus(SPECS, clock=lambda: 0.0, **kw)


def test_defaults_and_types():
    snap = bus().snapshot(0.0)
    assert dict(snap.values) == {"level": 0.0, "glide": 0.0, "ramp": 0.0, "steps": 3, "on": False, "flash": 0}
    assert isinstance(snap["steps"], int) and isinstance(snap["on"], bool)


def test_clamping_and_dropping():
    b = bus()
    assert b.set("level", 5.0) and b.snapshot(0)["level"] == 1.0
    assert b.set("level", -7) and b.snapshot(0)["level"] == -1.0
    for junk in (math.nan, math.inf, -math.inf, "0.5", None, [1]):
        assert not b.set("level", junk)
    assert b.snapshot(0)["level"] == -1.0
    assert b.set("steps", 4.6) and b.snapshot(0)["steps"] == 5
    assert b.set("steps", 99) and b.snapshot(0)["steps"] == 8
    assert b.set("on", 1) and b.snapshot(0)["on"] is True
    assert not b.set("nope", 1.0) and "nope" not in b.snapshot(0)


def test_normalized():
    b = bus()
    assert b.set_normalized("level", 0.75) and b.snapshot(0)["level"] == 0.5
    assert b.set_normalized("level", 3.0) and b.snapshot(0)["level"] == 1.0
    assert b.set_normalized("steps", 0.5) and b.snapshot(0)["steps"] == 4
    assert not b.set_normalized("level", math.nan)
    assert b.specs["level"].to_normalized(0.5) == 0.75


def test_triggers_count_firings():
    b = bus()
    assert b.trigger("flash") and b.trigger("flash")
    assert b.set_normalized("flash", 1.0)  # a button press
    assert not b.set_normalized("flash", 0.0)  # its release
    assert not b.trigger("level")
    snap = b.snapshot(0)
    assert snap["flash"] == 3 and snap.count("flash") == 3


def test_counts_tell_repeated_writes_apart():
    b = bus()
    b.set("steps", 2)
    first = b.snapshot(0)
    b.set("steps", 2)
    second = b.snapshot(0)
    assert first["steps"] == second["steps"] and second.count("steps") == first.count("steps") + 1


def test_exponential_slew_is_a_function_of_time():
    b = bus()
    b.set("glide", 10.0, t=1.0)
    assert b.snapshot(1.0)["glide"] == 0.0
    assert b.snapshot(3.0)["glide"] == pytest.approx(10 * (1 - math.exp(-1)))
    assert b.snapshot(2.0)["glide"] == pytest.approx(10 * (1 - math.exp(-0.5)))  # any order
    assert b.snapshot(100.0)["glide"] == pytest.approx(10.0)


def test_retarget_continues_from_where_the_glide_is():
    b = bus()
    b.set("glide", 10.0, t=0.0)
    here = b.snapshot(1.0)["glide"]
    b.set("glide", 0.0, t=1.0)
    assert b.snapshot(1.0)["glide"] == pytest.approx(here)  # no jump at the write
    assert b.snapshot(1.5)["glide"] < here


def test_linear_slew():
    b = bus()
    b.set("ramp", 10.0, t=0.0)
    assert [b.snapshot(t)["ramp"] for t in (0.5, 1.0, 2.0, 9.0)] == pytest.approx([2.5, 5.0, 10.0, 10.0])


@pytest.mark.parametrize("name", ["glide", "ramp", "level"])
def test_a_glide_integrates_in_closed_form(name):
    b = bus()
    b.set(name, 0.75, t=1.0)
    times = np.linspace(0.0, 6.0, 6001)  # before the write, during the glide, after it
    values = np.array([b.snapshot(t)[name] for t in times])
    trapezoids = np.concatenate([[0.0], np.cumsum((values[1:] + values[:-1]) / 2 * np.diff(times))])
    integral = b.snapshot(0.0).integral(name, 0.0, times)
    np.testing.assert_allclose(integral, trapezoids, atol=1e-6)
    # From any start: the distance from 2 to 5 is the distance to 5 less the distance to 2.
    assert b.snapshot(0.0).integral(name, 2.0, [5.0])[0] == pytest.approx(integral[5000] - integral[2000])


def test_deterministic_given_write_times():
    def run():
        b = bus()
        for i in range(50):
            b.set("glide", (i * 7) % 10, t=i * 0.13)
            b.set("ramp", (i * 3) % 10, t=i * 0.13)
        return [dict(b.snapshot(t * 0.05).values) for t in range(200)]

    assert run() == run()


def test_snapshot_is_immutable():
    snap = bus().snapshot(0)
    with pytest.raises(TypeError):
        snap.values["level"] = 1.0


def test_last_input_ignores_internal_sources():
    b = bus()
    assert b.last_input_time is None
    b.set("level", 0.1, source="autopilot", t=5.0)
    assert b.last_input_time is None
    b.set("level", 0.2, source="midi", t=6.0)
    b.trigger("flash", source="scene", t=7.0)
    assert b.last_input_time == 6.0 and b.last_input_source == "midi"


def test_reconfigure_keeps_values():
    b = bus()
    b.set("level", 0.9)
    b.trigger("flash")
    b.reconfigure(
        [ParamSpec("level", min=0.0, max=0.5), ParamSpec("flash", type="trigger"), ParamSpec("new")]
    )
    snap = b.snapshot(0)
    assert dict(snap.values) == {"level": 0.5, "flash": 1, "new": 0.0}


def test_threads():
    b = ParameterBus(SPECS)
    writes = 3000

    def writer(k: int) -> None:
        for i in range(writes):
            b.set("level", math.sin(i * k) * 3, source=f"w{k}")
            b.set("glide", i % 13)
            b.trigger("flash")

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    seen = []
    while any(thread.is_alive() for thread in threads):
        seen.append(b.snapshot())
    for thread in threads:
        thread.join()
    assert all(-1.0 <= s["level"] <= 1.0 and 0.0 <= s["glide"] <= 12.0 for s in seen)
    counts = [s["flash"] for s in seen]
    assert counts == sorted(counts)  # snapshots are consistent and ordered
    final = b.snapshot()
    assert final["flash"] == 4 * writes and final.count("level") == 4 * writes


def test_spec_validation():
    for kwargs, key in [
        (dict(min=1.0, max=1.0), "max"),
        (dict(default=2.0), "default"),
        (dict(type="int", max=4, smoothing=1.0), "smoothing"),
    ]:
        with pytest.raises(SchemaError) as caught:
            ParamSpec("x", **kwargs)
        assert caught.value.key == (key,)
    assert ParamSpec("x", type="bool", default=True).default is True


def test_builtins_cover_what_motion_reads():
    names = {p.name for p in builtin_parameters(3)}
    expected = {"speed", "bpm", "psi", "cutoff", "radius", "mix_amount", "noise_strength", "keyframe", "seed"}
    expected |= {"model_mix", "layer_view", "layer_view_channel"}  # the source reads them
    expected |= {"rotate", "translate_x", "translate_y"}  # StyleGAN3 input pose
    assert expected | {"direction_0", "direction_1", "direction_2"} == names


def test_vector_entries_take_whole_finite_vectors_of_their_length():
    b = bus()
    assert not b.set_vector("latent", [0.0] * 4)  # not declared yet (no model loaded)
    b.declare_vector("latent", 4)
    assert b.set_vector("latent", [1, 2, 3, 4], source="osc")
    snap = b.snapshot()
    assert snap.vector("latent").tolist() == [1, 2, 3, 4] and snap.count("latent") == 1
    with pytest.raises(ValueError):
        snap.vector("latent")[0] = 9.0  # read-only
    for bad in ([1, 2, 3], [1, 2, 3, float("nan")], [1, 2, 3, float("inf")]):
        assert not b.set_vector("latent", bad)
    assert b.snapshot().count("latent") == 1 and b.last_input_source == "osc"
    assert b.set_vector("latent", None) and b.snapshot().vector("latent") is None
    b.set_vector("latent", np.ones(4))
    b.declare_vector("latent", 4)  # the same model again: kept
    assert b.snapshot().vector("latent") is not None
    b.declare_vector("latent", 8)  # a model with another z size: dropped, which is a change
    assert b.snapshot().vector("latent") is None and b.snapshot().count("latent") == 4
    assert "latent" not in b.snapshot().values  # not a parameter: the HUD does not list it
    with pytest.raises(ValueError):
        b.declare_vector("level", 4)
