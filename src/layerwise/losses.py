"""Losses: their values, their gradients, and the fused output gradients.

Every loss is a mean, and the 1/n of that mean is applied in exactly one place: the
gradient returned here. The model's backward step never divides by n again.

========  ======================================================  ==============  =========
name      value                                                   fused with      dZ
========  ======================================================  ==============  =========
``mse``   mean over all elements of (A - Y)^2                     identity        2(A-Y)/N
``bce``   mean over all elements of -(Y log A + (1-Y) log(1-A))   sigmoid         (A-Y)/N
``cce``   mean over samples of -sum_j Y_j log A_j                 softmax         (A-Y)/n
========  ======================================================  ==============  =========

(N = number of elements of A, n = number of samples.) The fused forms are the chain rule
worked out by hand for these canonical pairs: the activation's derivative cancels the
loss's ``1/A`` terms, so the result is exact and never divides by a probability near zero.
Any other pair goes through ``loss.gradient`` and ``activation.backward``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from layerwise.activations import Activation, accepts

__all__ = ["Loss", "MSE", "BCE", "CCE", "get", "names"]


def _clip_probs(A: np.ndarray) -> np.ndarray:
    # log(0) = -inf: keep probabilities one machine epsilon inside (0, 1), the finest
    # margin the dtype can represent near 1, so a saturated output gives a large finite loss.
    # (maximum then minimum: np.clip's values, without its Python-level dispatch)
    eps = np.finfo(A.dtype).eps
    P = np.maximum(A, eps)
    return np.minimum(P, 1.0 - eps, out=P)


class Loss:
    """Base class for losses on prepared targets ``Y`` shaped like the output ``A``.

    Attributes
    ----------
    name : str
    fused_activation : str
        The output activation whose pairing with this loss has a fused gradient.
    classification : bool
        Whether accuracy is a meaningful metric for this loss.
    """

    name: str = ""
    fused_activation: str = ""
    classification: bool = False
    buffered: bool = True  # fused_gradient takes out= (False: a subclass written without)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.buffered = accepts(cls.fused_gradient, "out")

    def value(self, A: np.ndarray, Y: np.ndarray) -> float:
        """Loss of outputs ``A`` (n_samples, units) against targets ``Y`` (same shape)."""
        raise NotImplementedError

    def gradient(self, A: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """``dL/dA``, shape (n_samples, units), the 1/n of the mean included."""
        raise NotImplementedError

    def fused_gradient(
        self, A: np.ndarray, Y: np.ndarray, out: np.ndarray | None = None
    ) -> np.ndarray:
        """``dL/dZ`` for the fused output activation, shape (n_samples, units), written
        into ``out`` when given (the training loop passes the output layer's dead ``Z``)."""
        raise NotImplementedError

    def fuses_with(self, activation: Activation) -> bool:
        return activation.name == self.fused_activation

    def check_output(self, activation: Activation, units: int) -> None:
        """Raise ValueError when this loss cannot work on such an output layer."""

    def prepare_targets(self, y, units: int, dtype) -> np.ndarray:
        """Validate ``y`` and return it as a float array of shape (n_samples, units).

        ``y`` of shape (n_samples,) is accepted for a 1-unit output (and, for ``cce``,
        as integer class labels).
        """
        Y = _as_float_targets(y, dtype)
        if Y.ndim == 1:
            Y = Y.reshape(-1, 1)
        if Y.ndim != 2 or Y.shape[1] != units:
            raise ValueError(
                f"y has shape {np.shape(y)} but the model has {units} output unit(s); "
                f"give y shape (n_samples, {units})" + (" or (n_samples,)" if units == 1 else "")
            )
        return Y

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _as_float_targets(y, dtype) -> np.ndarray:
    y = np.asarray(y)
    if y.dtype.kind not in "biuf":
        raise TypeError(f"y must be numeric, got an array of dtype {y.dtype}")
    if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
        raise ValueError("y contains NaN or infinity; remove or impute those targets")
    with np.errstate(over="ignore"):  # float64 beyond float32's range: reported below
        Y = y.astype(dtype, copy=False)
    if not np.all(np.isfinite(Y)):
        raise ValueError(
            f"y has values too large for {np.dtype(dtype).name}; scale the targets or use "
            "dtype='float64'"
        )
    return Y


class MSE(Loss):
    """Mean squared error, mean over all elements of ``(A - Y)^2``."""

    name = "mse"
    fused_activation = "identity"

    def value(self, A, Y):
        d = A - Y
        return float(np.vdot(d, d)) / d.size

    def gradient(self, A, Y):
        return self.fused_gradient(A, Y)

    def fused_gradient(self, A, Y, out=None):  # identity output: dZ = dA
        dZ = np.subtract(A, Y, out=out)
        dZ *= A.dtype.type(2.0 / A.size)
        return dZ


class BCE(Loss):
    """Binary cross-entropy on probabilities, mean over all elements."""

    name = "bce"
    fused_activation = "sigmoid"
    classification = True

    def value(self, A, Y):
        # Y log P + (1 - Y) log(1 - P), in place: three temporaries instead of seven
        P = _clip_probs(A)
        L = np.log(P)
        L *= Y
        Q = np.log1p(np.negative(P, out=P), out=P)
        Q *= 1.0 - Y
        L += Q
        return -float(L.sum()) / A.size

    def gradient(self, A, Y):
        P = _clip_probs(A)
        return (P - Y) / (P * (1.0 - P)) * A.dtype.type(1.0 / A.size)

    def fused_gradient(self, A, Y, out=None):
        # sigmoid'(z) = a(1-a) cancels the denominator of dL/dA exactly
        dZ = np.subtract(A, Y, out=out)
        dZ *= A.dtype.type(1.0 / A.size)
        return dZ

    def check_output(self, activation, units):
        if activation.name not in ("sigmoid", "softmax"):
            raise ValueError(
                f"loss 'bce' needs probabilities in (0, 1), but the output activation is "
                f"{activation.name!r}; use output_activation='sigmoid' (or loss='mse')"
            )

    def prepare_targets(self, y, units, dtype):
        Y = super().prepare_targets(y, units, dtype)
        if Y.size and (Y.min() < 0 or Y.max() > 1):
            raise ValueError(
                f"loss 'bce' needs targets in [0, 1], got values from {Y.min():g} to "
                f"{Y.max():g}; encode the two classes as 0 and 1"
            )
        return Y


class CCE(Loss):
    """Categorical cross-entropy, mean over samples of ``-sum_j Y_j log A_j``.

    Targets are one-hot rows (or probability rows) of shape (n_samples, n_classes), or
    integer labels of shape (n_samples,) in ``0 .. n_classes-1``.
    """

    name = "cce"
    fused_activation = "softmax"
    classification = True

    def value(self, A, Y):
        L = np.log(_clip_probs(A))
        L *= Y
        return -float(L.sum()) / A.shape[0]

    def gradient(self, A, Y):
        return -Y / _clip_probs(A) * A.dtype.type(1.0 / A.shape[0])

    def fused_gradient(self, A, Y, out=None):
        # softmax's Jacobian contracted with -Y/A gives A*sum(Y) - Y = A - Y (rows of Y sum to 1)
        dZ = np.subtract(A, Y, out=out)
        dZ *= A.dtype.type(1.0 / A.shape[0])
        return dZ

    def check_output(self, activation, units):
        if activation.name != "softmax" or units < 2:
            raise ValueError(
                f"loss 'cce' needs a softmax output layer with one unit per class (at least "
                f"2), but the output is {activation.name!r} with {units} unit(s); use "
                "output_activation='softmax' with n_classes units, or for two classes a "
                "1-unit sigmoid output with loss='bce'"
            )

    def prepare_targets(self, y, units, dtype):
        y_arr = np.asarray(y)
        if y_arr.ndim == 2 and y_arr.shape[1] == 1:
            y_arr = y_arr[:, 0]
        if y_arr.ndim == 1:
            if y_arr.dtype.kind not in "biuf":
                raise TypeError(f"y must be numeric labels, got an array of dtype {y_arr.dtype}")
            if y_arr.dtype.kind == "f":
                if not np.all(np.isfinite(y_arr)):
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
        Y = super().prepare_targets(y_arr, units, dtype)
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


_REGISTRY: dict[str, type[Loss]] = {c.name: c for c in (MSE, BCE, CCE)}
_ALIASES = {
    "mean_squared_error": "mse",
    "binary_crossentropy": "bce",
    "binary_cross_entropy": "bce",
    "categorical_crossentropy": "cce",
    "categorical_cross_entropy": "cce",
    "cross_entropy": "cce",
    "sparse_categorical_crossentropy": "cce",
}


def names() -> list[str]:
    """Names accepted by :func:`get`."""
    return sorted(_REGISTRY)


def get(loss: str | Loss) -> Loss:
    """Resolve a loss name (or a :class:`Loss`); unknown names list the valid ones."""
    if isinstance(loss, Loss):
        return loss
    if not isinstance(loss, str):
        raise TypeError(f"loss must be a name or a Loss, got {type(loss).__name__} {loss!r}")
    key = _ALIASES.get(loss.strip().lower(), loss.strip().lower())
    if key not in _REGISTRY:
        raise ValueError(f"unknown loss {loss!r}; valid names: {', '.join(names())}")
    return _REGISTRY[key]()
