"""The one "has it improved" rule of every monitor (EarlyStopping, ModelCheckpoint,
ReduceLROnPlateau, GrowOnPlateau, the estimators' early stopping), and the direction in
which a monitored value improves (``mode="auto"``)."""

from __future__ import annotations

import math

from layerwise._internal.validation import MODE, check_param

__all__ = ["improved", "monitor_mode", "resolve_mode", "HIGHER_IS_BETTER", "LOWER_IS_BETTER"]


def improved(
    value: float, best: float | None, *, mode: str = "min", delta: float = 0.0,
    relative: bool = False, strict: bool = True,
) -> bool:  # fmt: skip
    """Whether ``value`` improves on ``best`` (None: nothing seen yet) by more than ``delta``
    (``relative``: by more than the fraction ``delta`` of ``best``), lower being better in
    mode "min" and higher in "max". The one rule of EarlyStopping, ModelCheckpoint,
    GrowOnPlateau and ReduceLROnPlateau (torch's: NaN never improves).

    ``strict=False`` is scikit-learn's MLP rule instead: an improvement unless ``value`` is
    worse than the threshold (``loss > best - tol`` is none), so reaching the threshold
    exactly counts, and so does NaN, which is never worse."""
    if best is None:
        best = math.inf if mode == "min" else -math.inf
    if mode == "min":
        threshold = best * (1 - delta) if relative else best - delta
        return value < threshold if strict else not value > threshold
    threshold = best * (1 + delta) if relative else best + delta
    return value > threshold if strict else not value < threshold


#: Monitored values where higher is better ("val_" prefixes stripped): the metrics fit
#: reports (accuracy, r2), the estimators' validation score, and the usual names of scores.
HIGHER_IS_BETTER = ("accuracy", "binary_accuracy", "r2", "score", "auc", "f1", "precision",
                    "recall")  # fmt: skip
#: ... and where lower is better: every loss, and the errors.
LOWER_IS_BETTER = ("loss", "mae", "mse", "rmse", "error")


def monitor_mode(monitor: str) -> str:
    """``"max"`` or ``"min"``: the direction in which ``monitor`` improves. The one rule of
    every ``mode="auto"`` (EarlyStopping, ModelCheckpoint, ReduceLROnPlateau, GrowOnPlateau).

    Scores and accuracies improve upwards, losses and errors downwards, with or without the
    ``val_`` prefix: ``"val_score"``, ``"accuracy"``, ``"val_r2"``, ``"roc_auc"``,
    ``"f1_score"`` are ``"max"``; ``"loss"``, ``"val_loss"``, ``"mae"``,
    ``"mean_squared_error"`` are ``"min"``. Any other name is refused (ValueError): give the
    mode yourself.

    >>> monitor_mode("val_score"), monitor_mode("val_accuracy"), monitor_mode("val_loss")
    ('max', 'max', 'min')
    """
    if not isinstance(monitor, str):
        raise TypeError(f"monitor must be a log name such as 'val_loss', got {monitor!r}")
    name = monitor.lower().removeprefix("val_")
    last = name.rpartition("_")[2]
    if name in HIGHER_IS_BETTER or last in ("score", "accuracy", "auc", "r2"):
        return "max"
    if name in LOWER_IS_BETTER or last in ("loss", "error", "mae", "mse", "rmse"):
        return "min"
    raise ValueError(
        f"mode='auto' cannot tell whether {monitor!r} improves upwards or downwards (it knows "
        "scores and accuracies, which rise, and losses and errors, which fall); give "
        "mode='max' or mode='min'"
    )


def resolve_mode(mode: str, monitor: str) -> str:
    """Resolve ``mode`` to "min" or "max" (``"auto"``: :func:`monitor_mode`)."""
    mode = check_param(mode, "mode", [MODE])
    return monitor_mode(monitor) if mode == "auto" else mode
