"""Data sets, CSV loading, splits and scaling.

Synthetic sets are drawn from a ``numpy.random.Generator`` built from ``seed``;
the real sets are the small ones bundled with scikit-learn (no download).
Samples are rows: ``X`` has shape ``(n_samples, n_features)`` and dtype float64;
``y`` has shape ``(n_samples,)``, int64 labels ``0 .. n_classes-1`` for
classification or float64 targets for regression.

This package imports only NumPy at import time; scikit-learn is imported inside
:func:`load` when a real set is asked for.

Examples
--------
>>> from layerwise import datasets
>>> X, y = datasets.load("moons", n_samples=100, seed=0)
>>> X.shape, y.shape, datasets.task("moons")
((100, 2), (100,), 'binary')
"""

from __future__ import annotations

import math

import numpy as np

from layerwise._internal.validation import check_allocation
from layerwise.datasets._common import Seed, _check_int, _rng
from layerwise.datasets._common import Task as Task
from layerwise.datasets._csvfile import CSVInfo, csv_header, load_csv, read_features
from layerwise.datasets._preprocessing import (
    StandardScaler,
    from_one_hot,
    one_hot,
    train_test_split,
)
from layerwise.datasets._real import _load_real
from layerwise.datasets._registry import DatasetInfo, info, names, task
from layerwise.datasets._synthetic import _GENERATORS
from layerwise.datasets._target import MAX_CLASSES, check_n_classes, infer_task

__all__ = [
    "CSVInfo",
    "DatasetInfo",
    "MAX_CLASSES",
    "StandardScaler",
    "check_n_classes",
    "csv_header",
    "from_one_hot",
    "infer_task",
    "info",
    "load",
    "load_csv",
    "names",
    "one_hot",
    "read_features",
    "task",
    "train_test_split",
]


def load(
    name: str,
    *,
    n_samples: int | None = None,
    noise: float | None = None,
    seed: Seed = None,
    n_classes: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Load or generate the data set ``name``.

    Parameters
    ----------
    name : str
        One of :func:`names`: synthetic ``xor``, ``moons``, ``circles``,
        ``spirals``, ``blobs``, ``flower``, ``sine``; real (scikit-learn)
        ``iris``, ``digits``, ``wine``, ``breast_cancer``, ``diabetes``.
    n_samples : int, optional
        Synthetic sets only; default ``info(name).n_samples``. Classes are
        balanced to within one sample.
    noise : float, optional
        Synthetic sets only; standard deviation of Gaussian noise, >= 0;
        default ``info(name).noise``. It is added to the coordinates, except
        for ``spirals`` (angle, radians), ``flower`` (angle and radius, as in
        Ng's assignment) and ``sine`` (target).
    seed : int or numpy.random.Generator, optional
        Synthetic sets draw everything from ``numpy.random.default_rng(seed)``;
        the same seed gives identical arrays. Real sets are fixed and ignore it.
    n_classes : int, optional
        ``spirals`` (default 2) and ``blobs`` (default 3) only; >= 2.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), float64
        Rows of synthetic sets are in random order.
    y : ndarray of shape (n_samples,)
        int64 labels ``0 .. n_classes-1``, or float64 targets for regression.

    Raises
    ------
    ValueError
        Unknown name, invalid argument, or an option that does not apply.
    ImportError
        A real set was asked for and scikit-learn is not installed.
    """
    spec = info(name)
    if n_classes is not None and not spec.variable_classes:
        raise ValueError(f"n_classes does not apply to {name!r}; only spirals and blobs take it")
    if not spec.synthetic:
        for option, value in (("n_samples", n_samples), ("noise", noise)):
            if value is not None:
                raise ValueError(f"{option} does not apply to the real data set {name!r}")
        return _load_real(name)
    n = spec.n_samples if n_samples is None else _check_int(n_samples, "n_samples", 1)
    k = spec.n_classes or 1
    if n_classes is not None:
        k = _check_int(n_classes, "n_classes", 2)
    if n < k:
        raise ValueError(f"n_samples must be >= n_classes ({k}) for {name!r}, got {n}")
    # X, y and the generators' temporaries: about four arrays of (n, n_features + 1)
    check_allocation(4 * n * (spec.n_features + 1), np.float64,
                     f"the data set {name!r} with n_samples={n:,}")  # fmt: skip
    if noise is None:
        noise = spec.noise
    if isinstance(noise, bool) or not isinstance(noise, int | float | np.number):
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")
    if not (math.isfinite(noise) and noise >= 0):
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")
    rng = _rng(seed)
    X, y = _GENERATORS[name](n, float(noise), rng, k)
    order = rng.permutation(n)
    return np.ascontiguousarray(X[order], dtype=np.float64), y[order]
