"""Targets: ``y`` checked and prepared as a float array shaped like the model's output,
and the output layer checked against the loss (``check_output``).

``prepare(loss_name, y, units, dtype)`` is what every loss's ``prepare_targets`` runs:
numeric and finite targets of shape (n_samples, units) (or (n_samples,) for one unit);
for ``bce`` values in [0, 1]; for ``cce`` one-hot or probability rows that sum to 1, or
integer class labels 0 .. units-1 (turned into one-hot rows).

``TASKS`` is the one table from a learning task to the output activation and loss that fit
it, used by the command line, sweeps, the scikit-learn estimators and the playground, so that
"binary" means the same everywhere.

>>> from layerwise import targets
>>> targets.output_for("multiclass")
('softmax', 'cce')
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from layerwise._internal.validation import all_finite

__all__ = ["prepare", "with_rows", "check_output", "TASKS", "output_for", "loss_for_output"]


def prepare(loss_name: str, y: Any, units: int, dtype: DTypeLike) -> np.ndarray:
    """Validate ``y`` for the loss ``loss_name``; return it as (n_samples, units) of ``dtype``."""
    if loss_name == "cce":
        return _cce(y, units, dtype)
    Y = _plain(y, units, dtype)
    if loss_name == "bce" and Y.size and (Y.min() < 0 or Y.max() > 1):
        raise ValueError(
            f"loss 'bce' needs targets in [0, 1], got values from {Y.min():g} to "
            f"{Y.max():g}; encode the two classes as 0 and 1"
        )
    return Y


def check_output(loss_name: str, activation: str, units: int) -> None:
    """Raise ValueError when the loss ``loss_name`` cannot work on an output layer of
    ``units`` units with this activation (bce needs probabilities, cce a softmax)."""
    if loss_name == "bce" and activation not in ("sigmoid", "softmax"):
        raise ValueError(
            f"loss 'bce' needs probabilities in (0, 1), but the output activation is "
            f"{activation!r}; use output_activation='sigmoid' (or loss='mse')"
        )
    if loss_name == "cce" and (activation != "softmax" or units < 2):
        raise ValueError(
            f"loss 'cce' needs a softmax output layer with one unit per class (at least "
            f"2), but the output is {activation!r} with {units} unit(s); use "
            "output_activation='softmax' with n_classes units, or for two classes a "
            "1-unit sigmoid output with loss='bce'"
        )


def with_rows(y: Any, n_samples: int) -> np.ndarray:
    """``y`` as an array with one row per sample (``n_samples`` of them), else ValueError."""
    try:
        y_arr = np.asarray(y) if not isinstance(y, np.ndarray) else y
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"y could not be read as an array ({exc}); give a 1-D array of targets or a "
            "2-D array with one row per sample"
        ) from exc
    if y_arr.ndim == 0 or y_arr.shape[0] != n_samples:
        got = "a scalar" if y_arr.ndim == 0 else f"{y_arr.shape[0]} rows"
        raise ValueError(f"X has {n_samples} samples but y has {got}; they must match")
    return y_arr


def _plain(y: Any, units: int, dtype: DTypeLike) -> np.ndarray:
    Y = _as_float(y, dtype)
    if Y.ndim == 1:
        Y = Y.reshape(-1, 1)
    if Y.ndim != 2 or Y.shape[1] != units:
        raise ValueError(
            f"y has shape {np.shape(y)} but the model has {units} output unit(s); "
            f"give y shape (n_samples, {units})" + (" or (n_samples,)" if units == 1 else "")
        )
    return Y


def _as_float(y: Any, dtype: DTypeLike) -> np.ndarray:
    y = np.asarray(y)
    if y.dtype.kind not in "biuf":
        raise TypeError(f"y must be numeric, got an array of dtype {y.dtype}")
    with np.errstate(over="ignore"):  # float64 beyond float32's range: reported below
        Y = y.astype(dtype, copy=False)
    if not all_finite(Y):
        if not all_finite(y):
            raise ValueError("y contains NaN or infinity; remove or impute those targets")
        raise ValueError(
            f"y has values too large for {np.dtype(dtype).name}; scale the targets or use "
            "dtype='float64'"
        )
    return Y


def _cce(y: Any, units: int, dtype: DTypeLike) -> np.ndarray:
    y_arr = np.asarray(y)
    if y_arr.ndim == 2 and y_arr.shape[1] == 1:
        y_arr = y_arr[:, 0]
    if y_arr.ndim == 1:
        if y_arr.dtype.kind not in "biuf":
            raise TypeError(f"y must be numeric labels, got an array of dtype {y_arr.dtype}")
        if y_arr.dtype.kind == "f":
            if not all_finite(y_arr):
                raise ValueError("y contains NaN or infinity; remove those samples")
            if np.any(y_arr != np.round(y_arr)):
                raise ValueError("loss 'cce' needs integer class labels; y has fractions")
        # the range is checked before the cast: 1e20 would become -9223372036854775808
        if y_arr.size and (y_arr.min() < 0 or y_arr.max() >= units):
            lo, hi = y_arr.min().item(), y_arr.max().item()
            raise ValueError(
                f"y has class labels from {lo:g} to {hi:g} but the output layer has "
                f"{units} units (labels 0..{units - 1}); give the output layer one unit "
                "per class"
            )
        labels = y_arr.astype(np.int64)
        Y = np.zeros((labels.size, units), dtype=dtype)
        Y[np.arange(labels.size), labels] = 1
        return Y
    Y = _plain(y_arr, units, dtype)
    if Y.size and Y.min() < 0:
        raise ValueError("loss 'cce' needs one-hot or probability rows; y has negatives")
    # the fused gradient A - Y is exact only for rows that sum to 1 (else it is
    # A * sum(Y) - Y): refuse multi-hot or unnormalised rows rather than train on a
    # gradient that is not that of the loss
    sums = Y.sum(axis=1, dtype=np.float64)
    bad = np.flatnonzero(np.abs(sums - 1.0) > 1e-3)
    if bad.size:
        raise ValueError(
            f"loss 'cce' needs one-hot or probability rows that sum to 1; row {bad[0]} of "
            f"y sums to {sums[bad[0]]:g}. For several labels per sample use a sigmoid "
            "output with loss='bce'; for soft labels divide each row by its sum"
        )
    return Y


#: task -> (output activation, loss). Each pair is one of the fused, exact output
#: gradients of :mod:`layerwise.losses` (sigmoid+bce, softmax+cce, identity+mse).
TASKS: dict[str, tuple[str, str]] = {
    "binary": ("sigmoid", "bce"),
    "multilabel": ("sigmoid", "bce"),
    "multiclass": ("softmax", "cce"),
    "regression": ("identity", "mse"),
}


def output_for(task: str) -> tuple[str, str]:
    """The ``(output_activation, loss)`` pair for ``task`` (a key of :data:`TASKS`)."""
    if not isinstance(task, str):
        raise TypeError(f"task must be a string, got {type(task).__name__} {task!r}")
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; valid: {', '.join(TASKS)}")
    return TASKS[task]


def loss_for_output(activation: str) -> str:
    """The loss that fuses with an output ``activation`` ("mse" for any other)."""
    for act, loss in TASKS.values():
        if act == activation:
            return loss
    return "mse"
