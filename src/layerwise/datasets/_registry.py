"""What is known about each named data set: :class:`DatasetInfo`, :func:`names`,
:func:`info` and :func:`task`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from layerwise.datasets._common import Task


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
