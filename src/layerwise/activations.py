"""Activation functions, each rule beside its derivative, in a registry by name.

Every activation maps ``Z -> A`` elementwise (softmax: row-wise) with ``forward(Z)``, and
turns the upstream gradient ``dA`` into ``dZ = dA * f'(Z)`` with ``backward(dA, Z, A)``. The
backward rule gets both ``Z`` and ``A`` so that each function uses whichever is cheaper:
``sigmoid'(z) = a (1 - a)`` and ``tanh'(z) = 1 - a^2`` need no new exponential.

Both rules return new arrays and never write into their arguments; where a rule works in
place (``dZ *= dA``), it is on an array it has just made. The maths is written against
``xp``, the namespace of ``Z``'s array library (NumPy, PyTorch, CuPy, JAX: see
:mod:`layerwise._internal.array_api`), with only functions of the Array API standard.

>>> import numpy as np, layerwise as lw
>>> act = lw.activations.get("sigmoid")
>>> z = np.array([[0.0, 2.0]])
>>> a = act.forward(z)
>>> act.backward(np.ones_like(z), z, a)          # = a (1 - a)
array([[0.25      , 0.10499359]])
"""

from __future__ import annotations

import math
from typing import Any

from layerwise._internal.array_api import array_namespace
from layerwise._internal.special import ndtr
from layerwise._internal.validation import Lookup, resolve

__all__ = ["Activation", "get", "names"]
__all__ += "Identity Sigmoid Tanh ReLU LeakyReLU ELU Softplus GELU Softmax".split()


class Activation:
    """Base class: ``forward(Z) -> A`` and ``backward(dA, Z, A) -> dZ``.

    Subclasses set ``name`` and implement ``forward`` and either ``backward`` or
    ``derivative`` (the elementwise ``dA/dZ``; not defined for softmax, whose Jacobian is
    not diagonal), for arrays of shape ``(n_samples, units)``.

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

    def forward(self, Z: Any) -> Any:
        raise NotImplementedError

    def backward(self, dA: Any, Z: Any, A: Any) -> Any:
        """Return ``dZ = dA * f'(Z)``, shape ``(n_samples, units)``."""
        return dA * self.derivative(Z)

    def derivative(self, Z: Any) -> Any:
        """The elementwise ``f'(Z)``: the backward rule applied to a gradient of ones."""
        return self.backward(array_namespace(Z).ones_like(Z), Z, self.forward(Z))

    def __call__(self, Z: Any) -> Any:
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

    def forward(self, Z: Any) -> Any:
        return Z  # A is Z itself: nothing to compute

    def backward(self, dA: Any, Z: Any, A: Any) -> Any:
        return dA


class Sigmoid(Activation):
    """``f(z) = 1 / (1 + e^-z)``, ``f'(z) = f(z) (1 - f(z))``.

    Computed as ``e^min(z, 0) / (1 + e^-|z|)``, whose exponentials never overflow: that is
    ``1 / (1 + e^-z)`` for z >= 0 and ``e^z / (1 + e^z)`` for z < 0, exact in both tails.
    """

    name = "sigmoid"
    nonnegative = True

    def forward(self, Z: Any) -> Any:
        xp = array_namespace(Z)
        # two exponentials instead of a masked choice: NumPy's where() costs three of them
        return xp.exp(xp.minimum(Z, 0.0)) / (xp.exp(-xp.abs(Z)) + 1.0)

    def backward(self, dA: Any, Z: Any, A: Any) -> Any:
        dZ = dA * A
        dZ *= 1.0 - A
        return dZ


class Tanh(Activation):
    """``f(z) = tanh z``, ``f'(z) = 1 - tanh^2 z``."""

    name = "tanh"

    def forward(self, Z: Any) -> Any:
        return array_namespace(Z).tanh(Z)

    def backward(self, dA: Any, Z: Any, A: Any) -> Any:
        dZ = 1.0 - A * A
        dZ *= dA
        return dZ


class ReLU(Activation):
    """``f(z) = max(z, 0)``, ``f'(z) = 1 if z > 0 else 0`` (0 at the kink, as PyTorch)."""

    name = "relu"
    nonnegative = True

    def forward(self, Z: Any) -> Any:
        return array_namespace(Z).maximum(Z, 0.0)

    def backward(self, dA: Any, Z: Any, A: Any) -> Any:
        dZ = array_namespace(Z).astype(Z > 0, dA.dtype)  # where(Z > 0, dA, 0.0): 12x slower
        dZ *= dA
        return dZ


class LeakyReLU(Activation):
    """``f(z) = z if z > 0 else 0.01 z``; ``f'(z) = 1 if z > 0 else 0.01``."""

    name = "leaky_relu"
    slope = 0.01

    def forward(self, Z: Any) -> Any:
        # max(z, 0.01 z) is z above 0 and 0.01 z below: a masked choice without a mask
        return array_namespace(Z).maximum(Z, Z * self.slope)

    def backward(self, dA: Any, Z: Any, A: Any) -> Any:
        xp = array_namespace(Z)  # f'(z) = max(sign z, slope): 1 above 0, slope at and below
        dZ = xp.maximum(xp.sign(Z), self.slope)
        dZ *= dA
        return dZ


class ELU(Activation):
    """``f(z) = z if z > 0 else e^z - 1`` (alpha 1); ``f'(z) = 1 if z > 0 else e^z``."""

    name = "elu"

    def forward(self, Z: Any) -> Any:
        xp = array_namespace(Z)
        # e^z - 1 <= z for every z, so the max picks z above 0 and e^z - 1 below it
        return xp.maximum(Z, xp.expm1(xp.minimum(Z, 0.0)))

    def backward(self, dA: Any, Z: Any, A: Any) -> Any:
        # f'(z) = min(f(z) + 1, 1): e^z below 0 (no second exponential), 1 above it
        dZ = array_namespace(Z).minimum(A + 1.0, 1.0)
        dZ *= dA
        return dZ


class Softplus(Activation):
    """``f(z) = log(1 + e^z)``, ``f'(z) = sigmoid(z)``.

    Computed as ``max(z, 0) + log1p(e^-|z|)``, exact and overflow-free for every z.
    """

    name = "softplus"
    nonnegative = True

    def forward(self, Z: Any) -> Any:
        xp = array_namespace(Z)
        return xp.maximum(Z, 0.0) + xp.log1p(xp.exp(-xp.abs(Z)))

    def backward(self, dA: Any, Z: Any, A: Any) -> Any:
        dZ = _SIGMOID.forward(Z)
        dZ *= dA
        return dZ


class GELU(Activation):
    """Exact GELU: ``f(z) = z Phi(z)``, ``f'(z) = Phi(z) + z phi(z)``.

    ``Phi`` is the standard normal distribution function (via erf), ``phi`` its density.
    """

    name = "gelu"
    _INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)

    def forward(self, Z: Any) -> Any:
        return Z * ndtr(Z)

    def derivative(self, Z: Any) -> Any:
        xp = array_namespace(Z)
        pdf = xp.exp(-0.5 * Z * Z) * self._INV_SQRT_2PI
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

    def forward(self, Z: Any) -> Any:
        xp = array_namespace(Z)
        E = xp.exp(Z - xp.max(Z, axis=1, keepdims=True))
        E /= xp.sum(E, axis=1, keepdims=True)
        return E

    def backward(self, dA: Any, Z: Any, A: Any) -> Any:
        xp = array_namespace(Z)
        dZ = dA - xp.sum(dA * A, axis=1, keepdims=True)
        dZ *= A
        return dZ

    def derivative(self, Z: Any) -> Any:
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
    return resolve(
        activation, _REGISTRY, Activation, aliases=_ALIASES, hint=" (or 'linear' for identity)"
    )


RULE = Lookup(get, Activation, type(None), what="an activation name, an Activation or None")
