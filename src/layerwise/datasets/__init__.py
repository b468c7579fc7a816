"""Data sets, CSV loading, splits and scaling.

Synthetic sets are drawn from a ``numpy.random.Generator`` built from ``seed``;
the real sets are the small ones bundled with scikit-learn (no download).
Samples are rows: ``X`` has shape ``(n_samples, n_features)`` and dtype float64;
``y`` has shape ``(n_samples,)``, int64 labels ``0 .. n_classes-1`` for
classification or float64 targets for regression.

This module imports only NumPy at import time; scikit-learn is imported inside
:func:`load` when a real set is asked for.

Examples
--------
>>> from layerwise import datasets
>>> X, y = datasets.load("moons", n_samples=100, seed=0)
>>> X.shape, y.shape, datasets.task("moons")
((100, 2), (100,), 'binary')
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, overload

import numpy as np

__all__ = [
    "CSVInfo",
    "DatasetInfo",
    "StandardScaler",
    "from_one_hot",
    "info",
    "load",
    "load_csv",
    "names",
    "one_hot",
    "task",
    "train_test_split",
]

Seed = int | np.random.Generator | None
Task = Literal["binary", "multiclass", "regression"]
_Pair = tuple[np.ndarray, np.ndarray]


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


@dataclass(frozen=True)
class DatasetInfo:
    """What :func:`info` knows about a named data set.

    Attributes
    ----------
    name : str
    task : {"binary", "multiclass", "regression"}
        For the default ``n_classes``; see :func:`task`.
    n_features : int
    n_classes : int or None
        Default number of classes; None for regression.
    synthetic : bool
        True when generated (``n_samples``, ``noise`` and ``seed`` apply).
    n_samples : int
        Default (synthetic) or fixed (real) number of samples.
    noise : float or None
        Default noise of a synthetic set; None for a real one.
    variable_classes : bool
        True when ``load`` accepts ``n_classes``.
    description : str
    """

    name: str
    task: Task
    n_features: int
    n_classes: int | None
    synthetic: bool
    n_samples: int
    noise: float | None
    variable_classes: bool
    description: str


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


# fmt: off
_TABLE: list[tuple[Any, ...]] = [
    # name, task, n_features, n_classes, synthetic, n_samples, noise, variable_classes, description
    ("xor", "binary", 2, 2, True, 200, 0.1, False, "uniform square, label (x0>0) xor (x1>0)"),
    ("moons", "binary", 2, 2, True, 200, 0.1, False, "two interleaving half circles"),
    ("circles", "binary", 2, 2, True, 200, 0.05, False,
     "outer circle (class 0, radius 1) around inner circle (class 1, radius 0.5)"),
    ("spirals", "binary", 2, 2, True, 300, 0.2, True, "interleaved spiral arms, one per class"),
    ("blobs", "multiclass", 2, 3, True, 300, 0.5, True, "Gaussian blobs on a circle of radius 3"),
    ("flower", "binary", 2, 2, True, 400, 0.2, False, "petals of Ng's planar data, r = 4 sin 4t"),
    ("sine", "regression", 1, None, True, 200, 0.1, False, "y = sin(x) + noise, x in [-pi, pi]"),
    ("iris", "multiclass", 4, 3, False, 150, None, False, "scikit-learn iris"),
    ("digits", "multiclass", 64, 10, False, 1797, None, False, "scikit-learn 8x8 digits, 0..16"),
    ("wine", "multiclass", 13, 3, False, 178, None, False, "scikit-learn wine"),
    ("breast_cancer", "binary", 30, 2, False, 569, None, False, "scikit-learn breast cancer"),
    ("diabetes", "regression", 10, None, False, 442, None, False,
     "scikit-learn diabetes (scaled features)"),
]
# fmt: on
_REGISTRY: dict[str, DatasetInfo] = {row[0]: DatasetInfo(*row) for row in _TABLE}


def names() -> list[str]:
    """Return the names :func:`load` accepts, synthetic sets first.

    Returns
    -------
    list of str
    """
    return list(_REGISTRY)


def info(name: str) -> DatasetInfo:
    """Describe the data set ``name``.

    Parameters
    ----------
    name : str
        One of :func:`names`.

    Returns
    -------
    DatasetInfo
    """
    if name not in _REGISTRY:
        raise ValueError(f"unknown data set {name!r}; valid names: {', '.join(names())}")
    return _REGISTRY[name]


def task(name: str, *, n_classes: int | None = None) -> Task:
    """Return ``"binary"``, ``"multiclass"`` or ``"regression"`` for ``name``.

    Parameters
    ----------
    name : str
        One of :func:`names`.
    n_classes : int, optional
        The ``n_classes`` that will be passed to :func:`load` (spirals, blobs).

    Returns
    -------
    str
    """
    spec = info(name)
    if spec.task == "regression":
        return "regression"
    k = n_classes if n_classes is not None and spec.variable_classes else spec.n_classes
    return "binary" if k == 2 else "multiclass"


def _check_int(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _rng(seed: Seed) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is not None:
        _check_int(seed, "seed", 0)
    return np.random.default_rng(seed)


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


def _load_real(name: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        from sklearn import datasets as skd
    except ImportError as exc:
        raise ImportError(
            f"the data set {name!r} comes from scikit-learn; "
            "install it with: pip install layerwise[sklearn]"
        ) from exc
    X, y = getattr(skd, f"load_{name}")(return_X_y=True)
    dtype = np.float64 if _REGISTRY[name].task == "regression" else np.int64
    return np.asarray(X, dtype=np.float64), np.asarray(y, dtype=dtype)


# ---------------------------------------------------------------------------
# CSV


@dataclass(frozen=True)
class CSVInfo:
    """Column and label information from :func:`load_csv` (JSON-able fields).

    Attributes
    ----------
    feature_names : list of str
        Names of the columns of ``X``, in order.
    target : str
        Name of the target column.
    task : {"binary", "multiclass", "regression"}
    classes : list of str, int or float, or None
        ``classes[i]`` is the original label encoded as ``i``; None for regression.
    """

    feature_names: list[str]
    target: str
    task: Task
    classes: list[Any] | None


def _number(cell: str) -> float | None:
    try:
        value = float(cell)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


@overload
def load_csv(
    path: str | os.PathLike[str],
    target: str | None = ...,
    *,
    delimiter: str = ...,
    task: Literal["auto", "classification", "regression"] = ...,
    return_info: Literal[False] = ...,
) -> tuple[np.ndarray, np.ndarray]: ...
@overload
def load_csv(
    path: str | os.PathLike[str],
    target: str | None = ...,
    *,
    delimiter: str = ...,
    task: Literal["auto", "classification", "regression"] = ...,
    return_info: Literal[True],
) -> tuple[np.ndarray, np.ndarray, CSVInfo]: ...
def load_csv(
    path: str | os.PathLike[str],
    target: str | None = None,
    *,
    delimiter: str = ",",
    task: Literal["auto", "classification", "regression"] = "auto",
    return_info: bool = False,
) -> tuple[np.ndarray, np.ndarray] | tuple[np.ndarray, np.ndarray, CSVInfo]:
    """Read a CSV file with a header row into ``X, y``.

    Every column except ``target`` must hold finite numbers. Blank lines are
    skipped. Errors name the file, the line (1-based, the header is line 1)
    and the column (name and 0-based index).

    Parameters
    ----------
    path : str or path-like
    target : str, optional
        Name of the target column; default the last column.
    delimiter : str, default ","
    task : {"auto", "classification", "regression"}, default "auto"
        ``"auto"``: a target with any non-numeric cell, or only integer
        values, is classification; other numeric targets are regression.
        Classification labels are encoded ``0 .. k-1`` in sorted order.
    return_info : bool, default False
        Also return a :class:`CSVInfo` with the column names and classes.

    Returns
    -------
    X : ndarray of shape (n_rows, n_columns - 1), float64
    y : ndarray of shape (n_rows,)
        int64 codes for classification, float64 for regression.
    info : CSVInfo
        Only when ``return_info`` is True.

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    ValueError
        Empty file, no data rows, duplicate or missing column, ragged row,
        non-numeric or non-finite feature cell, empty target cell.
    """
    if task not in ("auto", "classification", "regression"):
        raise ValueError(f"task must be 'auto', 'classification' or 'regression', got {task!r}")
    where = os.fspath(path)
    if not os.path.exists(where):
        raise FileNotFoundError(f"{where}: no such file")
    with open(where, newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        header = next(reader, None)
        if header is None:
            raise ValueError(f"{where}: line 1: the file is empty; a header row is required")
        header = [h.strip() for h in header]
        if not any(header):
            raise ValueError(f"{where}: line 1: the header row is empty")
        rows = [(reader.line_num, row) for row in reader if any(c.strip() for c in row)]
    for j, h in enumerate(header):
        if not h or header.index(h) != j:
            problem = "duplicate column name" if h else "empty column name"
            raise ValueError(f"{where}: line 1, column {h!r} (index {j}): {problem}")
    if target is None:
        target = header[-1]
    if target not in header:
        raise ValueError(
            f"{where}: line 1: target column {target!r} not found; columns: {', '.join(header)}"
        )
    t = header.index(target)
    if len(header) < 2:
        raise ValueError(f"{where}: line 1: need at least one feature column besides {target!r}")
    if not rows:
        raise ValueError(f"{where}: line 2: no data rows after the header")
    features = [j for j in range(len(header)) if j != t]
    X = np.empty((len(rows), len(features)), dtype=np.float64)
    raw: list[str] = []
    for i, (line, row) in enumerate(rows):
        if len(row) != len(header):
            j = min(len(row), len(header))
            if j < len(header):
                col = f"column {header[j]!r} (index {j}) missing"
            else:
                col = f"column index {j} beyond the last column {header[-1]!r}"
            raise ValueError(
                f"{where}: line {line}, {col}: ragged row with {len(row)} fields, "
                f"the header has {len(header)}"
            )
        for c, j in enumerate(features):
            value = _number(row[j])
            if value is None:
                raise ValueError(
                    f"{where}: line {line}, column {header[j]!r} (index {j}): "
                    f"{row[j]!r} is not a finite number"
                )
            X[i, c] = value
        cell = row[t].strip()
        if not cell:
            raise ValueError(
                f"{where}: line {line}, column {target!r} (index {t}): empty target cell"
            )
        raw.append(cell)
    y, kind, classes = _encode_target(raw, task, where, [line for line, _ in rows], target, t)
    if not return_info:
        return X, y
    return X, y, CSVInfo([header[j] for j in features], target, kind, classes)


def _encode_target(
    raw: list[str], task: str, where: str, lines: list[int], target: str, t: int
) -> tuple[np.ndarray, Task, list[Any] | None]:
    values = [_number(c) for c in raw]
    numbers = [v for v in values if v is not None]
    numeric = len(numbers) == len(values)
    integral = numeric and all(v % 1 == 0 for v in numbers)
    if task == "regression" or (task == "auto" and numeric and not integral):
        for line, cell, v in zip(lines, raw, values, strict=True):
            if v is None:
                raise ValueError(
                    f"{where}: line {line}, column {target!r} (index {t}): "
                    f"{cell!r} is not a finite number (regression target)"
                )
        return np.asarray(values, dtype=np.float64), "regression", None
    keys: list[Any] = raw
    if numeric:
        keys = [int(v) for v in numbers] if integral else numbers
    classes = sorted(set(keys))
    code = {c: i for i, c in enumerate(classes)}
    y = np.fromiter((code[k] for k in keys), dtype=np.int64, count=len(keys))
    return y, "binary" if len(classes) <= 2 else "multiclass", classes


# ---------------------------------------------------------------------------
# Splits, scaling, one-hot


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
