"""Activation functions, each beside its derivative, in a registry by name.

Every activation maps ``Z -> A`` elementwise (softmax: row-wise) and turns the upstream
gradient ``dA`` into ``dZ``. The backward rule gets both ``Z`` and ``A`` so that each
function uses whichever is cheaper: ``sigmoid'(z) = a (1 - a)`` and ``tanh'(z) = 1 - a^2``
need no new exponential.

>>> import numpy as np, layerwise as lw
>>> act = lw.activations.get("sigmoid")
>>> z = np.array([[0.0, 2.0]])
>>> a = act.forward(z)
>>> act.backward(np.ones_like(z), z, a)          # = a (1 - a)
array([[0.25      , 0.10499359]])
"""

from __future__ import annotations

import math

import numpy as np

from layerwise._special import ndtr

__all__ = [
    "Activation",
    "Identity",
    "Sigmoid",
    "Tanh",
    "ReLU",
    "LeakyReLU",
    "ELU",
    "Softplus",
    "GELU",
    "Softmax",
    "get",
    "names",
]


class Activation:
    """Base class: ``forward(Z) -> A`` and ``backward(dA, Z, A) -> dZ``.

    Subclasses set ``name`` and implement both methods for arrays of shape
    ``(n_samples, units)``. ``derivative(Z)`` is the elementwise ``dA/dZ`` (not defined
    for softmax, whose Jacobian is not diagonal).

    Attributes
    ----------
    name : str
        Registry name, used in configs and error messages.
    nonnegative : bool
        True when every output is >= 0 (used to decide whether an identity-initialised
        relu layer placed after this one preserves the function).
    """

    name: str = ""
    nonnegative: bool = False
    # the scratch buffers ("tmp", "mask") that forward_into/backward_inplace use; the
    # fallbacks below use none
    scratch: tuple[str, ...] = ()

    def forward(self, Z: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dA: np.ndarray, Z: np.ndarray, A: np.ndarray) -> np.ndarray:
        """Return ``dZ = dA * f'(Z)``, shape ``(n_samples, units)``."""
        return dA * self.derivative(Z)

    def derivative(self, Z: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    # In-place forms, used by ``fit``'s inner loop with buffers reused from batch to batch.
    # They compute exactly what ``forward`` and ``backward`` compute, in the same order of
    # operations, so results agree bit for bit. The fallbacks serve user subclasses.
    def forward_into(self, Z: np.ndarray, out: np.ndarray, *, tmp=None, mask=None) -> np.ndarray:
        """Write ``f(Z)`` into ``out`` (same shape) and return it (identity returns ``Z``).

        ``tmp`` (float) and ``mask`` (bool), shaped like ``Z``, are optional scratch
        buffers; ``Z`` is left unchanged.
        """
        np.copyto(out, self.forward(Z))
        return out

    def backward_inplace(
        self, dA: np.ndarray, Z: np.ndarray, A: np.ndarray, *, tmp=None, mask=None
    ) -> np.ndarray:
        """Return ``dZ``, computed in the memory of ``dA`` or of ``Z``: both are
        overwritten. ``tmp`` (float) and ``mask`` (bool) are optional scratch buffers
        shaped like ``Z``."""
        np.copyto(dA, self.backward(dA, Z, A))
        return dA

    def __call__(self, Z: np.ndarray) -> np.ndarray:
        return self.forward(Z)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other)

    def __hash__(self) -> int:
        return hash(type(self))


class Identity(Activation):
    """``f(z) = z``, ``f'(z) = 1``."""

    name = "identity"

    def forward(self, Z):
        return Z

    def backward(self, dA, Z, A):
        return dA

    def derivative(self, Z):
        return np.ones_like(Z)

    def forward_into(self, Z, out, *, tmp=None, mask=None):
        return Z

    def backward_inplace(self, dA, Z, A, *, tmp=None, mask=None):
        return dA


class Sigmoid(Activation):
    """``f(z) = 1 / (1 + e^-z)``, ``f'(z) = f(z) (1 - f(z))``.

    Computed as ``e^z / (1 + e^z)`` for negative z so that ``e^-z`` never overflows.
    """

    name = "sigmoid"
    scratch = ("tmp", "mask")
    nonnegative = True

    def forward(self, Z):
        e = np.exp(-np.abs(Z))  # in (0, 1]: never overflows
        return np.where(Z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(Z.dtype, copy=False)

    def backward(self, dA, Z, A):
        return dA * A * (1.0 - A)

    def derivative(self, Z):
        A = self.forward(Z)
        return A * (1.0 - A)

    def forward_into(self, Z, out, *, tmp=None, mask=None):
        # numerator e (z < 0) or 1 (z >= 0), then one unmasked divide: 2-4x faster than
        # two divides with where=, and the same values as forward's
        pos = np.greater_equal(Z, 0, out=mask)
        e = np.exp(np.negative(np.abs(Z, out=out), out=out), out=out)
        d = np.add(e, 1.0, out=tmp)
        np.copyto(e, 1.0, where=pos)
        return np.divide(e, d, out=out)

    def backward_inplace(self, dA, Z, A, *, tmp=None, mask=None):
        np.multiply(dA, A, out=dA)
        return np.multiply(dA, np.subtract(1.0, A, out=Z), out=dA)


class Tanh(Activation):
    """``f(z) = tanh z``, ``f'(z) = 1 - tanh^2 z``."""

    name = "tanh"

    def forward(self, Z):
        return np.tanh(Z)

    def backward(self, dA, Z, A):
        return dA * (1.0 - A * A)

    def forward_into(self, Z, out, *, tmp=None, mask=None):
        return np.tanh(Z, out=out)

    def backward_inplace(self, dA, Z, A, *, tmp=None, mask=None):
        np.subtract(1.0, np.multiply(A, A, out=Z), out=Z)
        return np.multiply(dA, Z, out=dA)

    def derivative(self, Z):
        return 1.0 - np.tanh(Z) ** 2


class ReLU(Activation):
    """``f(z) = max(z, 0)``, ``f'(z) = 1 if z > 0 else 0`` (0 at the kink, as PyTorch)."""

    name = "relu"
    scratch = ("mask",)
    nonnegative = True

    def forward(self, Z):
        return np.maximum(Z, 0)

    def backward(self, dA, Z, A):
        return np.where(Z > 0, dA, 0).astype(dA.dtype, copy=False)

    def derivative(self, Z):
        return (Z > 0).astype(Z.dtype)

    def forward_into(self, Z, out, *, tmp=None, mask=None):
        return np.maximum(Z, 0, out=out)

    def backward_inplace(self, dA, Z, A, *, tmp=None, mask=None):
        # dA * (z > 0) is 5x faster than a masked copy (7 vs 38 us for 128 x 256) and
        # equal to backward's where(z > 0, dA, 0) for every finite dA (an infinite dA at
        # z <= 0 gives NaN instead of 0: training has diverged by then anyway)
        return np.multiply(dA, np.greater(Z, 0, out=mask), out=dA)


class LeakyReLU(Activation):
    """``f(z) = z if z > 0 else 0.01 z``; ``f'(z) = 1 if z > 0 else 0.01``."""

    name = "leaky_relu"
    scratch = ("mask",)
    slope = 0.01

    def forward(self, Z):
        return np.where(Z > 0, Z, self.slope * Z).astype(Z.dtype, copy=False)

    def backward(self, dA, Z, A):
        return np.where(Z > 0, dA, self.slope * dA).astype(dA.dtype, copy=False)

    def forward_into(self, Z, out, *, tmp=None, mask=None):
        np.multiply(Z, self.slope, out=out)
        np.copyto(out, Z, where=np.greater(Z, 0, out=mask))
        return out

    def backward_inplace(self, dA, Z, A, *, tmp=None, mask=None):
        pos = np.greater(Z, 0, out=mask)
        np.multiply(dA, self.slope, out=Z)
        np.copyto(Z, dA, where=pos)
        return Z

    def derivative(self, Z):
        return np.where(Z > 0, 1.0, self.slope).astype(Z.dtype)


class ELU(Activation):
    """``f(z) = z if z > 0 else e^z - 1`` (alpha 1); ``f'(z) = 1 if z > 0 else e^z``."""

    name = "elu"
    scratch = ("mask",)

    def forward(self, Z):
        return np.where(Z > 0, Z, np.expm1(np.minimum(Z, 0))).astype(Z.dtype, copy=False)

    def backward(self, dA, Z, A):
        # for z <= 0, e^z = f(z) + 1: no second exponential
        return np.where(Z > 0, dA, dA * (A + 1.0)).astype(dA.dtype, copy=False)

    def forward_into(self, Z, out, *, tmp=None, mask=None):
        np.expm1(np.minimum(Z, 0, out=out), out=out)
        np.copyto(out, Z, where=np.greater(Z, 0, out=mask))
        return out

    def backward_inplace(self, dA, Z, A, *, tmp=None, mask=None):
        pos = np.greater(Z, 0, out=mask)
        np.multiply(dA, np.add(A, 1.0, out=Z), out=Z)
        np.copyto(Z, dA, where=pos)
        return Z

    def derivative(self, Z):
        return np.where(Z > 0, 1.0, np.exp(np.minimum(Z, 0))).astype(Z.dtype)


class Softplus(Activation):
    """``f(z) = log(1 + e^z)``, ``f'(z) = sigmoid(z)``.

    Computed as ``max(z, 0) + log1p(e^-|z|)``, exact and overflow-free for every z.
    """

    name = "softplus"
    scratch = ("tmp", "mask")
    nonnegative = True

    def forward(self, Z):
        return np.maximum(Z, 0) + np.log1p(np.exp(-np.abs(Z)))

    def backward(self, dA, Z, A):
        return dA * _SIGMOID.forward(Z)

    def forward_into(self, Z, out, *, tmp=None, mask=None):
        t = np.abs(Z, out=tmp)
        np.log1p(np.exp(np.negative(t, out=t), out=t), out=t)
        return np.add(np.maximum(Z, 0, out=out), t, out=out)

    def backward_inplace(self, dA, Z, A, *, tmp=None, mask=None):
        s = _SIGMOID.forward_into(Z, Z, tmp=tmp, mask=mask)
        return np.multiply(dA, s, out=dA)

    def derivative(self, Z):
        return _SIGMOID.forward(Z)


class GELU(Activation):
    """Exact GELU: ``f(z) = z Phi(z)``, ``f'(z) = Phi(z) + z phi(z)``.

    ``Phi`` is the standard normal distribution function (via erf), ``phi`` its density.
    """

    name = "gelu"
    _INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)

    def forward(self, Z):
        return Z * ndtr(Z)

    def backward(self, dA, Z, A):
        return dA * self.derivative(Z)

    def derivative(self, Z):
        pdf = np.exp(-0.5 * Z * Z) * Z.dtype.type(self._INV_SQRT_2PI)
        return ndtr(Z) + Z * pdf


class Softmax(Activation):
    """Row-wise ``f(z)_j = e^{z_j} / sum_k e^{z_k}``, for output layers.

    Each row is shifted by its maximum first: the result is unchanged and ``e^z`` can
    no longer overflow. The backward rule applies the full Jacobian,
    ``dZ = A * (dA - sum_j(dA_j A_j))``; with cross-entropy the model uses the fused
    ``dZ = A - Y`` instead.
    """

    name = "softmax"
    nonnegative = True

    def forward(self, Z):
        e = np.exp(Z - Z.max(axis=1, keepdims=True))
        e /= e.sum(axis=1, keepdims=True)
        return e

    def backward(self, dA, Z, A):
        return A * (dA - np.sum(dA * A, axis=1, keepdims=True))

    def forward_into(self, Z, out, *, tmp=None, mask=None):
        e = np.exp(np.subtract(Z, Z.max(axis=1, keepdims=True), out=out), out=out)
        e /= e.sum(axis=1, keepdims=True)
        return e

    def backward_inplace(self, dA, Z, A, *, tmp=None, mask=None):
        s = np.sum(np.multiply(dA, A, out=Z), axis=1, keepdims=True)
        return np.multiply(A, np.subtract(dA, s, out=dA), out=dA)

    def derivative(self, Z):
        raise TypeError("softmax has no elementwise derivative; use backward(dA, Z, A)")


_SIGMOID = Sigmoid()
_REGISTRY: dict[str, type[Activation]] = {
    cls.name: cls
    for cls in (Identity, Sigmoid, Tanh, ReLU, LeakyReLU, ELU, Softplus, GELU, Softmax)
}
_ALIASES = {"linear": "identity", "none": "identity", "leakyrelu": "leaky_relu"}


def names() -> list[str]:
    """Names accepted by :func:`get` (aliases: ``linear`` for ``identity``)."""
    return sorted(_REGISTRY)


def get(activation: str | Activation | None) -> Activation:
    """Resolve a name (case-insensitive) or an :class:`Activation` to an instance.

    ``None`` means identity.

    Raises
    ------
    ValueError
        For an unknown name; the message lists the valid names.
    TypeError
        For anything that is neither a string nor an Activation.
    """
    if activation is None:
        return Identity()
    if isinstance(activation, Activation):
        return activation
    if not isinstance(activation, str):
        raise TypeError(
            f"activation must be a name or an Activation, got {type(activation).__name__} "
            f"{activation!r}; valid names: {', '.join(names())}"
        )
    key = activation.strip().lower()
    key = _ALIASES.get(key, key)
    if key not in _REGISTRY:
        raise ValueError(
            f"unknown activation {activation!r}; valid names: {', '.join(names())} "
            "(or 'linear' for identity)"
        )
    return _REGISTRY[key]()
