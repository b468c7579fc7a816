"""layerwise.datasets._synthetic: each generator's geometry without noise (XOR's
quadrants, moons' half circles, the rose of flower ...), balance, shuffling, seeds, and no
use of NumPy's global random state.
"""

from __future__ import annotations

import numpy as np
import pytest

from layerwise import datasets as ds

SYNTHETIC = ["xor", "moons", "circles", "spirals", "blobs", "flower", "sine"]


@pytest.mark.parametrize("name", SYNTHETIC)
def test_synthetic_shapes_and_dtypes(name):
    spec = ds.info(name)
    X, y = ds.load(name, seed=0)
    assert X.shape == (spec.n_samples, spec.n_features) and X.dtype == np.float64
    assert y.shape == (spec.n_samples,)
    assert np.all(np.isfinite(X))
    if spec.task == "regression":
        assert y.dtype == np.float64
    else:
        assert y.dtype == np.int64
        assert set(np.unique(y).tolist()) == set(range(spec.n_classes))
    X, y = ds.load(name, n_samples=37, seed=1)
    assert X.shape == (37, spec.n_features) and y.shape == (37,)


@pytest.mark.parametrize("name", SYNTHETIC)
def test_same_seed_same_arrays_different_seed_differs(name):
    X1, y1 = ds.load(name, seed=42)
    X2, y2 = ds.load(name, seed=42)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    X3, _ = ds.load(name, seed=43)
    assert not np.array_equal(X1, X3)
    X4, y4 = ds.load(name, seed=np.random.default_rng(42))
    np.testing.assert_array_equal(X1, X4)
    np.testing.assert_array_equal(y1, y4)


def test_no_global_random_state_used():
    state = np.random.get_state()  # noqa: NPY002
    ds.load("moons", seed=0)
    after = np.random.get_state()  # noqa: NPY002
    assert state[0] == after[0] and np.array_equal(state[1], after[1]) and state[2] == after[2]


@pytest.mark.parametrize(
    "name, n_classes, n", [("xor", 2, 201), ("moons", 2, 201), ("circles", 2, 200),
                           ("flower", 2, 400), ("spirals", 5, 303), ("blobs", 4, 102)],
)  # fmt: skip
def test_classes_balanced(name, n_classes, n):
    kwargs = {"n_classes": n_classes} if name in ("spirals", "blobs") else {}
    _, y = ds.load(name, n_samples=n, seed=0, **kwargs)
    counts = np.bincount(y, minlength=n_classes)
    assert len(counts) == n_classes
    if name == "xor":  # xor labels come from uniform quadrants: roughly balanced
        assert abs(counts[0] - counts[1]) < 0.2 * n
    else:
        assert counts.max() - counts.min() <= 1


def test_rows_are_shuffled():
    _, y = ds.load("blobs", seed=0)
    assert not np.all(np.diff(y) >= 0)


def test_xor_label_is_quadrant_xor_without_noise():
    X, y = ds.load("xor", n_samples=500, noise=0.0, seed=3)
    np.testing.assert_array_equal(y, (X[:, 0] > 0) ^ (X[:, 1] > 0))
    assert np.all(np.abs(X) <= 1.0)


def test_moons_without_noise_lie_on_their_half_circles():
    X, y = ds.load("moons", n_samples=300, noise=0.0, seed=0)
    outer, inner = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(*outer.T), 1.0)
    assert np.all(outer[:, 1] >= 0)
    np.testing.assert_allclose(np.hypot(inner[:, 0] - 1.0, inner[:, 1] - 0.5), 1.0)
    assert np.all(inner[:, 1] <= 0.5)


def test_circles_inner_class_has_smaller_radius():
    X, y = ds.load("circles", noise=0.0, seed=0)
    r = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(r[y == 0], 1.0)
    np.testing.assert_allclose(r[y == 1], 0.5)
    X, y = ds.load("circles", seed=0)  # default noise keeps the classes apart by radius
    r = np.hypot(X[:, 0], X[:, 1])
    assert r[y == 1].max() < r[y == 0].min()


def test_blobs_are_separated():
    X, y = ds.load("blobs", n_classes=5, n_samples=500, seed=0)
    means = np.array([X[y == c].mean(axis=0) for c in range(5)])
    nearest = np.argmin(((X[:, None, :] - means[None]) ** 2).sum(axis=2), axis=1)
    assert np.mean(nearest == y) > 0.95
    within = max(X[y == c].std(axis=0).max() for c in range(5))
    between = min(np.linalg.norm(means[a] - means[b]) for a in range(5) for b in range(a))
    assert between > 3 * within


def test_spirals_arms_rotate_with_radius():
    X, y = ds.load("spirals", n_classes=3, n_samples=600, noise=0.0, seed=0)
    r = np.hypot(X[:, 0], X[:, 1])
    theta = np.arctan2(X[:, 1], X[:, 0])
    expected = 2 * np.pi * (y / 3 + r)
    np.testing.assert_allclose(np.cos(theta - expected), 1.0, atol=1e-9)
    # Not linearly trivial: each class spans all directions.
    for c in range(3):
        quadrants = {(a, b) for a, b in (X[y == c] > 0).tolist()}
        assert len(quadrants) == 4


def test_flower_points_lie_on_the_rose_without_noise():
    X, y = ds.load("flower", noise=0.0, seed=0)
    r = np.hypot(X[:, 0], X[:, 1])
    phi = np.arctan2(X[:, 0], X[:, 1])  # x = r sin t, y = r cos t
    np.testing.assert_allclose(r, 4 * np.abs(np.sin(4 * phi)), atol=1e-9)
    assert r.max() == pytest.approx(4.0, abs=0.05)
    assert np.bincount(y).tolist() == [200, 200]


def test_sine_is_regression_on_sine():
    X, y = ds.load("sine", n_samples=100, noise=0.0, seed=0)
    assert X.shape == (100, 1) and y.shape == (100,)
    np.testing.assert_allclose(y, np.sin(X[:, 0]))
    assert np.all(np.abs(X) <= np.pi)
    _, y_noisy = ds.load("sine", n_samples=2000, noise=0.3, seed=0)
    X, _ = ds.load("sine", n_samples=2000, noise=0.3, seed=0)
    assert np.std(y_noisy - np.sin(X[:, 0])) == pytest.approx(0.3, rel=0.1)
