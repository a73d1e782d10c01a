"""Latent arithmetic against its definitions."""

import numpy as np
import pytest

from installation.motion.latents import catmull_rom, ease, layer_slice, lerp, seed_z, slerp, truncate


def angle(a, b):
    return np.arccos(np.clip(np.dot(a, b) / np.linalg.norm(a) / np.linalg.norm(b), -1, 1))


def test_seed_z_is_nvidia_convention():
    assert np.array_equal(seed_z(42, 512), np.random.RandomState(42).randn(512).astype(np.float32))


def test_slerp_follows_the_great_circle():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 64))
    b *= np.linalg.norm(a) / np.linalg.norm(b)
    t = np.linspace(0, 1, 11)
    path = slerp(np.repeat(a[None], 11, 0), np.repeat(b[None], 11, 0), t)
    np.testing.assert_allclose(path[0], a, rtol=1e-5)
    np.testing.assert_allclose(path[-1], b, rtol=1e-5)
    np.testing.assert_allclose(
        np.linalg.norm(path, axis=1), np.linalg.norm(a), rtol=1e-5
    )  # stays on the shell
    omega = angle(a, b)
    np.testing.assert_allclose([angle(a, p) for p in path], t * omega, atol=1e-5)  # at constant speed


def test_slerp_of_parallel_vectors():
    a = np.ones((1, 8))
    np.testing.assert_allclose(slerp(a, 3 * a, np.array([0.5])), 2 * a, rtol=1e-6)


def test_lerp():
    a, b = np.zeros((2, 3, 4)), np.ones((2, 3, 4))
    out = lerp(a, b, np.array([0.25, 1.0]))
    assert out.dtype == np.float32 and np.allclose(out[0], 0.25) and np.allclose(out[1], 1.0)


@pytest.mark.parametrize("kind", ["linear", "smoothstep", "cosine"])
def test_easing(kind):
    t = np.linspace(0, 1, 101)
    e = ease(t, kind)
    assert e[0] == 0 and e[-1] == pytest.approx(1) and np.all(np.diff(e) >= 0)
    if kind != "linear":  # at rest at both ends
        assert e[1] - e[0] < 1e-3 and e[-1] - e[-2] < 1e-3


def test_catmull_rom_passes_through_keyframes():
    rng = np.random.default_rng(1)
    p = rng.standard_normal((4, 1, 5))
    np.testing.assert_allclose(catmull_rom(*p, np.array([0.0])), p[1], atol=1e-6)
    np.testing.assert_allclose(catmull_rom(*p, np.array([1.0])), p[2], atol=1e-6)
    points = np.array([[0.0], [1.0], [2.0], [3.0]])[:, None]  # evenly spaced: a straight, even line
    np.testing.assert_allclose(catmull_rom(*points, np.array([0.5]))[0], [1.5])


def test_layer_slice_and_truncate():
    assert layer_slice((8, None), 10) == slice(8, 10)
    assert layer_slice((8, None), 6) == slice(6, 6)  # a small model has no fine layers
    assert layer_slice((4, 8), 18) == slice(4, 8)
    ws = np.ones((2, 6, 3), np.float32)
    out = truncate(ws, np.zeros(3, np.float32), 0.5, 2)
    assert np.allclose(out[:, :2], 0.5) and np.allclose(out[:, 2:], 1.0) and np.allclose(ws, 1.0)
