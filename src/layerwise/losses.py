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

import numpy as np

from layerwise import targets
from layerwise._validation import Buffered, resolve
from layerwise.activations import Activation

__all__ = ["Loss", "MSE", "BCE", "CCE", "get", "names"]


def _clip_probs(A: np.ndarray) -> np.ndarray:
    # log(0) = -inf: keep probabilities one machine epsilon inside (0, 1), the finest
    # margin the dtype can represent near 1, so a saturated output gives a large finite loss.
    # (maximum then minimum: np.clip's values, without its Python-level dispatch)
    eps = np.finfo(A.dtype).eps
    P = np.maximum(A, eps)
    return np.minimum(P, 1.0 - eps, out=P)


class Loss(Buffered):
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
    fused_scale: float = 1.0  # dZ = fused_scale * (A - Y) / (the count the mean divides by)
    classification: bool = False
    buffer_args = {"fused_gradient": ("out",)}  # see Buffered

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
        dZ = np.subtract(A, Y, out=out)
        dZ *= A.dtype.type(self.fused_scale / self.count(A))
        return dZ

    def count(self, A: np.ndarray) -> int:
        """What the mean divides by: every element of ``A`` (``cce``: every sample)."""
        return A.size

    def fuses_with(self, activation: Activation) -> bool:
        return activation.name == self.fused_activation

    def prepare_targets(self, y, units: int, dtype) -> np.ndarray:
        """Validate ``y`` and return it as a float array of shape (n_samples, units); see
        :func:`layerwise.targets.prepare` (``y`` of shape (n_samples,) is accepted for a
        1-unit output and, for ``cce``, as integer class labels)."""
        return targets.prepare(self.name, y, units, dtype)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class MSE(Loss):
    """Mean squared error, mean over all elements of ``(A - Y)^2``."""

    name = "mse"
    fused_activation = "identity"  # dZ = dA = 2(A - Y)/N
    fused_scale = 2.0

    def value(self, A, Y):
        d = A - Y
        return float(np.vdot(d, d)) / d.size

    def gradient(self, A, Y):
        return self.fused_gradient(A, Y)


class BCE(Loss):
    """Binary cross-entropy on probabilities, mean over all elements."""

    name = "bce"
    fused_activation = "sigmoid"  # sigmoid'(z) = a(1-a) cancels the denominator of dL/dA
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


class CCE(Loss):
    """Categorical cross-entropy, mean over samples of ``-sum_j Y_j log A_j``.

    Targets are one-hot rows (or probability rows) of shape (n_samples, n_classes), or
    integer labels of shape (n_samples,) in ``0 .. n_classes-1``.
    """

    name = "cce"
    # softmax's Jacobian contracted with -Y/A gives A*sum(Y) - Y = A - Y (rows of Y sum to 1)
    fused_activation = "softmax"
    classification = True

    def value(self, A, Y):
        L = np.log(_clip_probs(A))
        L *= Y
        return -float(L.sum()) / A.shape[0]

    def gradient(self, A, Y):
        return -Y / _clip_probs(A) * A.dtype.type(1.0 / A.shape[0])

    def count(self, A):
        return A.shape[0]


_REGISTRY: dict[str, type[Loss]] = {c.name: c for c in (MSE, BCE, CCE)}
_ALIASES = {"mean_squared_error": "mse", "binary_crossentropy": "bce",
            "binary_cross_entropy": "bce", "categorical_crossentropy": "cce",
            "categorical_cross_entropy": "cce", "cross_entropy": "cce",
            "sparse_categorical_crossentropy": "cce"}  # fmt: skip


def names() -> list[str]:
    """Names accepted by :func:`get`."""
    return sorted(_REGISTRY)


def get(loss: str | Loss) -> Loss:
    """Resolve a loss name (or a :class:`Loss`); unknown names list the valid ones."""
    return resolve(loss, _REGISTRY, Loss, aliases=_ALIASES)
