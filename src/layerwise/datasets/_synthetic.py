"""The synthetic sets: one generator per name, drawing only from the ``rng`` passed in."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from layerwise.datasets._common import _Pair

# ---------------------------------------------------------------------------
# Synthetic generators: (n_samples, noise, rng, n_classes) -> (X, y), class-sorted.


def _counts(n: int, k: int) -> list[int]:
    """Split ``n`` samples over ``k`` classes as evenly as possible."""
    return [n // k + (1 if i < n % k else 0) for i in range(k)]


def _labels(counts: list[int]) -> np.ndarray:
    return np.repeat(np.arange(len(counts), dtype=np.int64), counts)


def _xor(n: int, noise: float, rng: np.random.Generator, k: int) -> _Pair:
    X = rng.uniform(-1.0, 1.0, size=(n, 2))
    # Labels come from the clean points; noise then blurs the quadrant borders.
    y = ((X[:, 0] > 0) ^ (X[:, 1] > 0)).astype(np.int64)
    return X + noise * rng.standard_normal((n, 2)), y


def _moons(n: int, noise: float, rng: np.random.Generator, k: int) -> _Pair:
    n0, n1 = _counts(n, 2)
    t0, t1 = rng.uniform(0.0, np.pi, n0), rng.uniform(0.0, np.pi, n1)
    outer = np.column_stack([np.cos(t0), np.sin(t0)])
    inner = np.column_stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)])
    X = np.vstack([outer, inner]) + noise * rng.standard_normal((n, 2))
    return X, _labels([n0, n1])


def _circles(n: int, noise: float, rng: np.random.Generator, k: int) -> _Pair:
    counts = _counts(n, 2)  # class 0: outer circle (radius 1), class 1: inner (0.5)
    t = rng.uniform(0.0, 2.0 * np.pi, n)
    r = np.where(_labels(counts) == 0, 1.0, 0.5)
    X = np.column_stack([r * np.cos(t), r * np.sin(t)])
    return X + noise * rng.standard_normal((n, 2)), _labels(counts)


def _spirals(n: int, noise: float, rng: np.random.Generator, k: int) -> _Pair:
    y = _labels(_counts(n, k))
    r = rng.uniform(0.0, 1.0, n)
    # Each arm turns once around the centre; noise jitters the angle (radians).
    theta = 2.0 * np.pi * (y / k + r) + noise * rng.standard_normal(n)
    return np.column_stack([r * np.cos(theta), r * np.sin(theta)]), y


def _blobs(n: int, noise: float, rng: np.random.Generator, k: int) -> _Pair:
    y = _labels(_counts(n, k))
    angle = 2.0 * np.pi * np.arange(k) / k
    centers = 3.0 * np.column_stack([np.cos(angle), np.sin(angle)])
    return centers[y] + noise * rng.standard_normal((n, 2)), y


def _flower(n: int, noise: float, rng: np.random.Generator, k: int) -> _Pair:
    # Ng's load_planar_dataset: a rose r = 4 sin(4t), each class one half-turn of t.
    counts = _counts(n, 2)
    parts = []
    for j, m in enumerate(counts):
        t = np.linspace(j * 3.12, (j + 1) * 3.12, m) + noise * rng.standard_normal(m)
        r = 4.0 * np.sin(4.0 * t) + noise * rng.standard_normal(m)
        parts.append(np.column_stack([r * np.sin(t), r * np.cos(t)]))
    return np.vstack(parts), _labels(counts)


def _sine(n: int, noise: float, rng: np.random.Generator, k: int) -> _Pair:
    X = rng.uniform(-np.pi, np.pi, size=(n, 1))
    return X, np.sin(X[:, 0]) + noise * rng.standard_normal(n)


_Generator = Callable[[int, float, np.random.Generator, int], _Pair]
_GENERATORS: dict[str, _Generator] = {
    "xor": _xor,
    "moons": _moons,
    "circles": _circles,
    "spirals": _spirals,
    "blobs": _blobs,
    "flower": _flower,
    "sine": _sine,
}
