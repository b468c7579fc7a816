"""Splits, scaling and one-hot encoding: :func:`train_test_split`, :class:`StandardScaler`,
:func:`one_hot`, :func:`from_one_hot`."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from layerwise._internal.validation import check_allocation
from layerwise.datasets._common import Seed, _check_int, _rng


def _as_2d(X: Any, name: str = "X") -> np.ndarray:
    A = np.asarray(X)
    if A.ndim != 2 or A.shape[0] == 0:
        raise ValueError(
            f"{name} must be a non-empty 2-D array (n_samples, n_features), got shape {A.shape}"
        )
    return A


def train_test_split(
    X: np.ndarray,
    y: np.ndarray,
    test_size: float = 0.2,
    *,
    seed: Seed = None,
    stratify: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle and split ``X, y`` into train and test parts.

    Parameters
    ----------
    X : array_like of shape (n_samples, ...)
    y : array_like of shape (n_samples,) or (n_samples, n_outputs)
    test_size : float, default 0.2
        Fraction in (0, 1); the test part has ``ceil(test_size * n_samples)`` rows.
    seed : int or numpy.random.Generator, optional
    stratify : bool, default False
        Keep each class's share of ``y`` (labels, or one-hot rows) in both parts,
        to within one sample per class.

    Returns
    -------
    X_train, X_test, y_train, y_test : ndarray
        Row subsets of ``X`` and ``y``, disjoint, together all rows.
    """
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim == 0 or y.ndim == 0 or len(X) != len(y):
        raise ValueError(
            f"X and y must have the same number of samples, got shapes {X.shape} and {y.shape}"
        )
    if isinstance(test_size, bool) or not isinstance(test_size, float | int | np.number):
        raise ValueError(f"test_size must be a float in (0, 1), got {test_size!r}")
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size must be in (0, 1), got {test_size!r}")
    n = len(X)
    n_test = math.ceil(test_size * n)
    if n_test >= n:
        raise ValueError(f"test_size={test_size} leaves no training samples out of {n}")
    rng = _rng(seed)
    if not stratify:
        order = rng.permutation(n)
        test, train = order[:n_test], order[n_test:]
    else:
        labels = y.argmax(axis=1) if y.ndim == 2 and y.shape[1] > 1 else y.reshape(n, -1)[:, 0]
        _, inverse = np.unique(labels, return_inverse=True)
        groups = [rng.permutation(np.flatnonzero(inverse == c)) for c in range(inverse.max() + 1)]
        quota = np.array([test_size * len(g) for g in groups])
        take = np.floor(quota).astype(int)
        # Largest remainders get the rows left over, so the total is exactly n_test.
        for c in np.argsort(-(quota - take), kind="stable")[: n_test - take.sum()]:
            take[c] += 1
        test = rng.permutation(np.concatenate([g[:m] for g, m in zip(groups, take, strict=True)]))
        train = rng.permutation(np.concatenate([g[m:] for g, m in zip(groups, take, strict=True)]))
    return X[train], X[test], y[train], y[test]


class StandardScaler:
    """Scale features to zero mean and unit variance, column by column.

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,), float64
    scale_ : ndarray of shape (n_features,), float64
        Population standard deviation; 1 for (near) constant columns.
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> s = StandardScaler().fit(np.array([[0.0, 1.0], [2.0, 1.0]]))
    >>> s.transform(np.array([[2.0, 3.0]])).tolist()
    [[1.0, 2.0]]
    """

    def __init__(self) -> None:
        self.mean_: np.ndarray | None = None
        self.scale_: np.ndarray | None = None

    @property
    def n_features_in_(self) -> int:
        return 0 if self.mean_ is None else len(self.mean_)

    def fit(self, X: np.ndarray) -> StandardScaler:
        """Learn ``mean_`` and ``scale_`` from ``X`` of shape (n_samples, n_features)."""
        A = _as_2d(X).astype(np.float64)
        if not np.all(np.isfinite(A)):
            raise ValueError("X contains NaN or infinity")
        mean, std = A.mean(axis=0), A.std(axis=0)
        # Rounding leaves a tiny non-zero std on constant columns; treat those as constant.
        constant = std <= 10 * np.finfo(np.float64).eps * np.maximum(1.0, np.abs(mean))
        self.mean_, self.scale_ = mean, np.where(constant, 1.0, std)
        return self

    def _check(self, X: np.ndarray) -> np.ndarray:
        if self.mean_ is None or self.scale_ is None:
            raise ValueError("this StandardScaler is not fitted yet; call fit(X) first")
        A = _as_2d(X)
        if A.shape[1] != len(self.mean_):
            raise ValueError(
                f"X has {A.shape[1]} features, but this StandardScaler was "
                f"fitted with {len(self.mean_)} features"
            )
        return A

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Return ``(X - mean_) / scale_``, shape (n_samples, n_features).

        Float input keeps its dtype; other input becomes float64.
        """
        A = self._check(X)
        out = (A - self.mean_) / self.scale_
        return out.astype(A.dtype if np.issubdtype(A.dtype, np.floating) else np.float64)

    def fit_transform(self, X: np.ndarray) -> np.ndarray:
        """Fit to ``X`` and return it transformed, shape (n_samples, n_features)."""
        return self.fit(X).transform(X)

    def inverse_transform(self, X: np.ndarray) -> np.ndarray:
        """Return ``X * scale_ + mean_``, shape (n_samples, n_features)."""
        A = self._check(X)
        out = A * self.scale_ + self.mean_
        return out.astype(A.dtype if np.issubdtype(A.dtype, np.floating) else np.float64)

    def get_config(self) -> dict[str, list[float] | None]:
        """Return ``{"mean": [...], "scale": [...]}`` (None when not fitted), JSON-able."""
        if self.mean_ is None or self.scale_ is None:
            return {"mean": None, "scale": None}
        return {"mean": self.mean_.tolist(), "scale": self.scale_.tolist()}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> StandardScaler:
        """Rebuild a scaler from :meth:`get_config`'s output."""
        scaler = cls()
        mean, scale = config.get("mean"), config.get("scale")
        if mean is None and scale is None:
            return scaler
        m = np.asarray(mean, dtype=np.float64)
        s = np.asarray(scale, dtype=np.float64)
        if m.ndim != 1 or m.shape != s.shape or not (np.all(np.isfinite(m)) and np.all(s > 0)):
            raise ValueError(
                "config needs 'mean' and 'scale' lists of equal length, finite, with scale > 0"
            )
        scaler.mean_, scaler.scale_ = m, s
        return scaler

    def __repr__(self) -> str:
        return f"StandardScaler(n_features_in_={self.n_features_in_})"


def one_hot(y: np.ndarray, n_classes: int | None = None, *, dtype: Any = np.float64) -> np.ndarray:
    """Encode integer labels as one-hot rows.

    Parameters
    ----------
    y : array_like of shape (n_samples,)
        Integer-valued labels in ``0 .. n_classes-1``.
    n_classes : int, optional
        Default ``max(y) + 1``.
    dtype : dtype, default float64

    Returns
    -------
    ndarray of shape (n_samples, n_classes)
    """
    labels = np.asarray(y)
    if labels.ndim != 1:
        raise ValueError(f"y must be 1-D labels, got shape {labels.shape}")
    if not np.issubdtype(labels.dtype, np.number) or np.any(labels % 1 != 0) or np.any(labels < 0):
        raise ValueError(f"y must hold non-negative integer labels, got dtype {labels.dtype}")
    labels = labels.astype(np.int64)
    k = int(labels.max()) + 1 if labels.size else 0
    if n_classes is not None:
        n_classes = _check_int(n_classes, "n_classes", 1)
        if k > n_classes:
            raise ValueError(
                f"y has label {k - 1}, which needs n_classes > {k - 1}, got n_classes={n_classes}"
            )
        k = n_classes
    check_allocation(labels.size * k, dtype, f"one_hot of {labels.size:,} labels x {k:,} classes")
    out = np.zeros((labels.size, k), dtype=dtype)
    out[np.arange(labels.size), labels] = 1
    return out


def from_one_hot(Y: np.ndarray) -> np.ndarray:
    """Decode one-hot rows (or class scores) to labels by argmax.

    Parameters
    ----------
    Y : array_like of shape (n_samples, n_classes)

    Returns
    -------
    ndarray of shape (n_samples,), int64
    """
    return _as_2d(Y, "Y").argmax(axis=1).astype(np.int64)
