"""What a target asks for: :func:`infer_task` and :func:`check_n_classes`.

The rules follow scikit-learn's ``type_of_target``, with one addition: integer targets
with many distinct values relative to the number of rows (a price, a count) are a
regression, not a classification with one class per value.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

InferredTask = Literal["binary", "multiclass", "multilabel", "regression"]

#: The most classes a classification may have unless the caller asks for more.
MAX_CLASSES = 1000

#: An integer target with more distinct values than this and than
#: ``MANY_VALUES_FRACTION`` of its rows is read as a regression.
MANY_VALUES = 20
MANY_VALUES_FRACTION = 0.05


def infer_task(y: Any) -> InferredTask:
    """The learning task that a target ``y`` asks for.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Labels (numbers, strings or booleans) or targets.

    Returns
    -------
    {"binary", "multiclass", "multilabel", "regression"}
        - 2-D with more than one column: ``"multilabel"`` when every value is 0 or 1,
          else ``"regression"``;
        - strings or booleans: ``"binary"`` for at most two distinct values, else
          ``"multiclass"``;
        - numbers with a fractional part: ``"regression"``;
        - integers (also integral floats): ``"regression"`` when they take more than
          20 distinct values and more than 5% of the rows have distinct values (a
          price, a count), else ``"binary"`` (at most two values) or ``"multiclass"``.

    Raises
    ------
    TypeError
        ``y`` is not array-like or holds objects other than strings and numbers.
    ValueError
        ``y`` is empty, has more than two dimensions, or holds NaN or infinity.

    Examples
    --------
    >>> from layerwise.datasets import infer_task
    >>> infer_task([0, 1, 1]), infer_task(["a", "b", "c"]), infer_task([0.5, 1.0])
    ('binary', 'multiclass', 'regression')
    >>> infer_task(list(range(1000)))
    'regression'
    """
    arr = _as_target(y)
    if arr.ndim == 2 and arr.shape[1] > 1:
        if arr.dtype.kind in "biuf" and np.isin(arr, (0, 1)).all():
            return "multilabel"
        if arr.dtype.kind not in "biuf":
            raise ValueError(
                f"y: a 2-D target of {arr.dtype.kind!r} values is not supported; give 0/1 "
                "columns (multilabel), numbers (regression) or one column of labels"
            )
        return "regression"
    arr = arr.reshape(-1)
    if arr.dtype.kind in "biuf" and arr.dtype.kind != "b":
        return numeric_task(np.unique(arr), len(arr))
    n_values = len(np.unique(arr.astype(str) if arr.dtype.kind == "O" else arr))
    return "binary" if n_values <= 2 else "multiclass"


def numeric_task(values: np.ndarray, n_rows: int) -> InferredTask:
    """The task of a numeric target of ``n_rows`` rows whose distinct values are ``values``."""
    if values.dtype.kind == "f" and not bool(np.all(values == np.round(values))):
        return "regression"
    if len(values) > MANY_VALUES and len(values) > MANY_VALUES_FRACTION * n_rows:
        return "regression"  # a price, a count: integers, but far too many for classes
    return "binary" if len(values) <= 2 else "multiclass"


def _as_target(y: Any) -> np.ndarray:
    if hasattr(y, "to_numpy"):  # pandas: nullable dtypes (Int64, boolean) become NumPy ones
        y = _from_pandas(y)
    try:
        arr = np.asarray(y)
    except (ValueError, TypeError) as exc:
        raise TypeError(f"y could not be read as an array ({exc}); give a 1-D array") from None
    if arr.dtype.kind == "O":
        if not all(isinstance(v, str | int | float | np.number) for v in arr.ravel()):
            raise TypeError("y holds objects other than strings and numbers; encode them")
        if all(isinstance(v, int | float | np.number) for v in arr.ravel()):
            arr = arr.astype(np.float64)
    elif arr.dtype.kind not in "biufUS":
        raise TypeError(f"y must hold numbers or strings, got an array of dtype {arr.dtype}")
    if arr.ndim == 0 or arr.ndim > 2 or arr.size == 0:
        raise ValueError(
            f"y must be a non-empty 1-D (or 2-D) array, got shape {arr.shape}; "
            "give one target per row"
        )
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise ValueError("y contains NaN or infinity; remove or impute those rows")
    return arr


def _from_pandas(y: Any) -> Any:
    dtype = getattr(y, "dtype", None)
    if getattr(dtype, "na_value", None) is not None and hasattr(y, "isna"):
        missing = y.isna()
        missing = missing.to_numpy().any() if hasattr(missing, "to_numpy") else missing
        if bool(np.asarray(missing).any()):
            raise ValueError("y has missing values (pandas NA); drop or impute those rows")
        numpy_type = getattr(dtype, "numpy_dtype", None)
        if numpy_type is not None:
            return y.to_numpy(dtype=numpy_type)
    return y.to_numpy()


def check_n_classes(n_classes: int, *, limit: int | None = MAX_CLASSES, what: str = "y") -> int:
    """Refuse a classification with more than ``limit`` classes (None: no limit).

    A target with thousands of distinct labels is nearly always a regression target or an
    identifier read as labels; its softmax would be as wide as the data set.

    Raises
    ------
    ValueError
        ``n_classes > limit``; the message names the count, the limit and the two fixes.
    """
    if limit is not None and n_classes > limit:
        raise ValueError(
            f"{what} has {n_classes:,} classes, more than the limit of {limit:,}; if it is a "
            "quantity, treat it as a regression (task='regression'), or raise the limit "
            "(max_classes=...) if you really mean that many classes"
        )
    return n_classes
