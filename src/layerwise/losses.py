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

from layerwise import targets
from layerwise._internal.array_api import array_namespace
from layerwise._internal.validation import resolve
from layerwise.activations import Activation

__all__ = ["Loss", "MSE", "BCE", "CCE", "get", "names"]


def _clip_probs(A: Any) -> Any:
    # log(0) = -inf: keep probabilities one eps (the finest margin near 1) inside (0, 1)
    xp = array_namespace(A)
    key = (xp, A.dtype)  # library first: two libraries' dtypes must not be compared
    eps = _EPS.get(key) or _EPS.setdefault(key, float(xp.finfo(A.dtype).eps))
    return xp.minimum(xp.maximum(A, eps), 1.0 - eps)


_EPS: dict[tuple[Any, Any], float] = {}  # (library, dtype) -> eps: finfo() costs a call a batch


class Loss:
    """Base class for losses on prepared targets ``Y`` shaped like the output ``A``:
    subclasses implement ``value`` and ``gradient`` (and may fuse with an activation).

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
    fused_scale: float = 1.0  # dZ = fused_scale * (A - Y) / (the count the mean divides by)
    classification: bool = False

    def value(self, A: Any, Y: Any) -> float:
        """Loss of outputs ``A`` (n_samples, units) against targets ``Y`` (same shape)."""
        raise NotImplementedError

    def gradient(self, A: Any, Y: Any) -> Any:
        """``dL/dA``, shape (n_samples, units), the 1/n of the mean included."""
        raise NotImplementedError

    def fused_gradient(self, A: Any, Y: Any) -> Any:
        """``dL/dZ`` for the fused output activation, shape (n_samples, units)."""
        dZ = A - Y
        dZ *= self.fused_scale / self.count(A)
        return dZ

    def count(self, A: Any) -> int:
        """What the mean divides by: every element of ``A`` (``cce``: every sample)."""
        return A.shape[0] * A.shape[1]

    def fuses_with(self, activation: Activation) -> bool:
        return activation.name == self.fused_activation

    def prepare_targets(self, y: Any, units: int, dtype: Any) -> Any:
        """Validate ``y``; return it as a float array (n_samples, units): see
        :func:`layerwise.targets.prepare` (``cce`` takes integer labels too)."""
        return targets.prepare(self.name, y, units, dtype)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class MSE(Loss):
    """Mean squared error, mean over all elements of ``(A - Y)^2``."""

    name = "mse"
    fused_activation = "identity"  # dZ = dA = 2(A - Y)/N
    fused_scale = 2.0

    def value(self, A: Any, Y: Any) -> float:
        xp = array_namespace(A)
        d = A - Y
        return float(xp.sum(d * d)) / self.count(A)

    def gradient(self, A: Any, Y: Any) -> Any:
        return self.fused_gradient(A, Y)


class BCE(Loss):
    """Binary cross-entropy on probabilities, mean over all elements."""

    name = "bce"
    fused_activation = "sigmoid"  # sigmoid'(z) = a(1-a) cancels the denominator of dL/dA
    classification = True

    def value(self, A: Any, Y: Any) -> float:
        xp = array_namespace(A)
        P = _clip_probs(A)
        L = xp.log(P)
        L *= Y
        Q = xp.log1p(-P)
        Q *= 1.0 - Y
        L += Q
        return -float(xp.sum(L)) / self.count(A)

    def gradient(self, A: Any, Y: Any) -> Any:
        P = _clip_probs(A)
        return (P - Y) / (P * (1.0 - P)) * (1.0 / self.count(A))


class CCE(Loss):
    """Categorical cross-entropy, mean over samples of ``-sum_j Y_j log A_j``.

    Targets are one-hot rows (or probability rows) of shape (n_samples, n_classes), or
    integer labels of shape (n_samples,) in ``0 .. n_classes-1``.
    """

    name = "cce"
    # softmax's Jacobian contracted with -Y/A gives A*sum(Y) - Y = A - Y (rows of Y sum to 1)
    fused_activation = "softmax"
    classification = True

    def value(self, A: Any, Y: Any) -> float:
        xp = array_namespace(A)
        L = xp.log(_clip_probs(A))
        L *= Y
        return -float(xp.sum(L)) / self.count(A)

    def gradient(self, A: Any, Y: Any) -> Any:
        return -Y / _clip_probs(A) * (1.0 / self.count(A))

    def count(self, A: Any) -> int:
        return A.shape[0]


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
    return resolve(loss, _REGISTRY, Loss, aliases=_ALIASES)
