"""The playground's data: TensorFlow Playground's sets, its seven input features, and L1.

Besides the library's own sets (:func:`layerwise.datasets.load`), the playground offers the
three TensorFlow Playground sets the library lacks, with the formulas of its
``src/dataset.ts`` in coordinates halved (so the plane spans [-3, 3]^2):

==============  =============================================================================
``gauss``       two classes, Gaussians around (1, 1) and (-1, -1); the noise widens them
``plane``       regression, y = (x1 + x2) / 6 measured at a noisy point, in [-1, 1]
``multi-gauss`` regression, six bumps of height +-1 at (+-2 or 0, +-1.25), the highest wins
==============  =============================================================================

>>> from layerwise.playground import data
>>> X, y = data.load("gauss", n_samples=4, noise=0.1, seed=0)
>>> data.features(X, ["x1", "x1^2", "sin x2"]).shape
(4, 3)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import layerwise as lw

__all__ = ["FEATURES", "OWN", "REGRESSION", "load", "features", "SoftThreshold"]

#: name -> the column it computes from X (n, 2): TensorFlow Playground's seven inputs
FEATURES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "x1": lambda X: X[:, 0],
    "x2": lambda X: X[:, 1],
    "x1^2": lambda X: X[:, 0] ** 2,
    "x2^2": lambda X: X[:, 1] ** 2,
    "x1x2": lambda X: X[:, 0] * X[:, 1],
    "sin x1": lambda X: np.sin(X[:, 0]),
    "sin x2": lambda X: np.sin(X[:, 1]),
}
OWN = ["gauss", "plane", "multi-gauss"]
REGRESSION = ["plane", "multi-gauss"]
_BUMPS = [(-2.0, 1.25, 1), (0.0, 1.25, -1), (2.0, 1.25, 1)]
_BUMPS += [(-2.0, -1.25, -1), (0.0, -1.25, 1), (2.0, -1.25, -1)]


def features(X: np.ndarray, names: list[str]) -> np.ndarray:
    """The input columns ``names`` (keys of :data:`FEATURES`) computed from ``X``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, 2)
    names : list of str

    Returns
    -------
    ndarray of shape (n_samples, len(names)), float64
    """
    unknown = [n for n in names if n not in FEATURES]
    if unknown or not names:
        raise ValueError(
            f"features must be a non-empty list of {', '.join(FEATURES)}; got {names!r}"
        )
    X = np.asarray(X, dtype=np.float64)
    return np.column_stack([FEATURES[n](X) for n in names])


def load(name: str, *, n_samples: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """One of :data:`OWN`, or else :func:`layerwise.datasets.load` ``(name, ...)``.

    Returns
    -------
    X : ndarray of shape (n_samples, 2), float64
    y : ndarray of shape (n_samples,)
        int64 labels 0/1 for ``gauss``, float64 targets in [-1, 1] for the regressions.
    """
    if name not in OWN:
        return lw.datasets.load(name, n_samples=n_samples, noise=noise, seed=seed)
    rng = np.random.default_rng(seed)
    if name == "gauss":
        # TensorFlow Playground: variance 0.5 .. 4 as the noise goes 0 .. 0.5; halved scale
        sd = 0.5 * np.sqrt(0.5 + 7.0 * min(noise, 0.5))
        labels = np.arange(n_samples) % 2
        centres = np.where(labels[:, None] == 1, 1.0, -1.0)
        return centres + rng.normal(0.0, sd, (n_samples, 2)), labels.astype(np.int64)
    X = rng.uniform(-3.0, 3.0, (n_samples, 2))
    at = X + rng.uniform(-3.0, 3.0, (n_samples, 2)) * noise  # the label is read off here
    if name == "plane":
        return X, np.clip((at[:, 0] + at[:, 1]) / 6.0, -1.0, 1.0)
    y = np.zeros(n_samples)
    for cx, cy, sign in _BUMPS:
        bump = sign * np.clip(1.0 - np.hypot(at[:, 0] - cx, at[:, 1] - cy), 0.0, 1.0)
        y = np.where(np.abs(bump) > np.abs(y), bump, y)
    return X, y


class SoftThreshold(lw.callbacks.Callback):
    """L1 on the weights (not the biases), as a proximal step after every batch.

    After the optimizer's step, ``W <- sign(W) * max(|W| - lr * l1, 0)``: the exact minimiser
    of ``l1 * |W|`` plus the distance to the stepped weights, so small weights become exactly
    zero, as L1 promises, and may grow back later (TensorFlow Playground instead freezes a
    weight at zero for good once its L1 step crosses zero).

    Parameters
    ----------
    l1 : float
        Strength; the penalty is ``l1 * sum(|W|)`` over every layer.
    lr : callable
        Returns the learning rate of the current step.
    """

    def __init__(self, l1: float, lr: Callable[[], float]) -> None:
        self.l1 = l1
        self.lr = lr

    def on_batch_end(self, batch: int, logs: dict[str, Any]) -> None:
        shrink = self.lr() * self.l1
        for layer in self.model.layers:
            W = layer.W
            np.copyto(W, np.sign(W) * np.maximum(np.abs(W) - shrink, 0.0))
