"""Metrics on outputs ``A`` (n_samples, units) and prepared targets ``Y`` (same shape)."""

from __future__ import annotations

from typing import Any

import numpy as np

from layerwise._internal.array_api import array_namespace, is_foreign, to_numpy

__all__ = ["accuracy", "binary_accuracy", "r2", "mae"]


def accuracy(A: Any, Y: Any) -> float:
    """Fraction of correct labels: ``argmax`` per row for several units, ``> 0.5`` for one."""
    # count_nonzero / n: the same float as np.mean of the booleans, with one call
    xp = array_namespace(A)
    if A.shape[1] == 1:
        return float(xp.count_nonzero((A[:, 0] > 0.5) == (Y[:, 0] > 0.5))) / A.shape[0]
    hits = xp.argmax(A, axis=1) == xp.argmax(Y, axis=1)
    return float(xp.count_nonzero(hits)) / A.shape[0]


def binary_accuracy(A: Any, Y: Any) -> float:
    """Fraction of correct ``> 0.5`` decisions over all elements (bce, multi-label too)."""
    xp = array_namespace(A)
    return float(xp.count_nonzero((A > 0.5) == (Y > 0.5))) / (A.shape[0] * A.shape[1])


def r2(A: Any, Y: Any) -> float:
    """Coefficient of determination, averaged over output columns (as scikit-learn); summed
    in float64 on NumPy."""
    A, Y = (to_numpy(A), to_numpy(Y)) if is_foreign(A) else (A, Y)
    ss_res = np.sum((Y - A) ** 2, axis=0, dtype=np.float64)
    ss_tot = np.sum((Y - Y.mean(axis=0)) ** 2, axis=0, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = np.where(ss_tot > 0, 1.0 - ss_res / ss_tot, np.where(ss_res > 0, 0.0, 1.0))
    return float(np.mean(scores))


def mae(A: Any, Y: Any) -> float:
    """Mean absolute error over all elements (summed in float64 on NumPy)."""
    A, Y = (to_numpy(A), to_numpy(Y)) if is_foreign(A) else (A, Y)
    return float(np.mean(np.abs(A - Y), dtype=np.float64))
