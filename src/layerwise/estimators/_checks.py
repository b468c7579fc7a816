"""What the estimators check before a fit changes anything: their parameters
(scikit-learn's constraints, with layerwise's additions) and ``sample_weight``."""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any

import numpy as np
from sklearn.utils._param_validation import Interval, Options, StrOptions

from layerwise import activations as _activations
from layerwise.training.schedules import Schedule

STOCHASTIC = ("sgd", "adam", "adamw", "rmsprop", "adagrad", "momentum", "nesterov")
# the hidden activations: sklearn's four (its "logistic" is our "sigmoid") and layerwise's
ACTIVATIONS = {"logistic"} | (set(_activations.names()) - {"softmax"})

PARAMETERS: dict[str, list[Any]] = {
    "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
    "activation": [StrOptions(ACTIVATIONS)],
    "solver": [StrOptions({"lbfgs", *STOCHASTIC})],
    "alpha": [Interval(Real, 0, None, closed="left")],
    "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
    "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
    "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
    "power_t": [Interval(Real, 0, None, closed="left")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "shuffle": ["boolean"],
    "random_state": ["random_state"],
    "tol": [Interval(Real, 0, None, closed="left")],
    "verbose": ["verbose"],
    "warm_start": ["boolean"],
    "momentum": [Interval(Real, 0, 1, closed="both")],
    "nesterovs_momentum": ["boolean"],
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(Real, 0, 1, closed="left")],
    "beta_1": [Interval(Real, 0, 1, closed="left")],
    "beta_2": [Interval(Real, 0, 1, closed="left")],
    "epsilon": [Interval(Real, 0, None, closed="neither")],
    "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), Options(Real, {np.inf})],
    "max_fun": [Interval(Integral, 1, None, closed="left")],
    # layerwise's additions
    "dropout": [Interval(Real, 0, 1, closed="left")],
    "dtype": [None, StrOptions({"float32", "float64"}), type],
    "schedule": [None, Schedule],
}


def check_sample_weight(sample_weight: Any, X: Any) -> np.ndarray | None:
    """``sample_weight`` as a finite, non-negative array of shape (n_samples,) in X's dtype."""
    if sample_weight is None:
        return None
    n = X.shape[0]
    if isinstance(sample_weight, Real):  # one weight for every sample: checked below
        sw = np.full(n, sample_weight, dtype=X.dtype)
    else:
        sw = np.asarray(sample_weight, dtype=X.dtype)
    if sw.shape != (n,):
        raise ValueError(
            f"sample_weight must have shape ({n},), one weight per sample of X, got shape "
            f"{sw.shape}"
        )
    if not np.isfinite(sw).all() or (sw < 0).any():
        raise ValueError("sample_weight must hold finite, non-negative numbers")
    if not sw.any():
        raise ValueError(
            "Sample weights must contain at least one non-zero number; all of sample_weight "
            "is 0, which leaves nothing to fit"
        )
    return sw
