"""Metrics on outputs ``A`` (n_samples, units) and prepared targets ``Y`` (same shape)."""

from __future__ import annotations

import numpy as np

__all__ = ["accuracy", "binary_accuracy", "r2", "mae"]


def accuracy(A: np.ndarray, Y: np.ndarray) -> float:
    """Fraction of correct labels: ``argmax`` per row for several units, ``> 0.5`` for one."""
    # count_nonzero / n: the same float as np.mean of the booleans, with one NumPy call
    if A.shape[1] == 1:
        return float(np.count_nonzero((A[:, 0] > 0.5) == (Y[:, 0] > 0.5))) / len(A)
    return float(np.count_nonzero(A.argmax(axis=1) == Y.argmax(axis=1))) / len(A)


def binary_accuracy(A: np.ndarray, Y: np.ndarray) -> float:
    """Fraction of correct ``> 0.5`` decisions over all elements (bce, multi-label too)."""
    return float(np.count_nonzero((A > 0.5) == (Y > 0.5))) / A.size


def r2(A: np.ndarray, Y: np.ndarray) -> float:
    """Coefficient of determination, averaged over output columns (as scikit-learn)."""
    ss_res = np.sum((Y - A) ** 2, axis=0, dtype=np.float64)
    ss_tot = np.sum((Y - Y.mean(axis=0)) ** 2, axis=0, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = np.where(ss_tot > 0, 1.0 - ss_res / ss_tot, np.where(ss_res > 0, 0.0, 1.0))
    return float(np.mean(scores))


def mae(A: np.ndarray, Y: np.ndarray) -> float:
    """Mean absolute error over all elements."""
    return float(np.mean(np.abs(A - Y), dtype=np.float64))
