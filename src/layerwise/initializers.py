"""Weight initialisers: ``init(rng, n_in, n_out, dtype) -> W`` of shape ``(n_in, n_out)``.

All randomness comes from the ``numpy.random.Generator`` passed in (the model's), so the
same seed gives the same weights. They are written into an array of the model's dtype
block by block, never through a full-size float64 temporary. Biases start at zero.

==================  ==============================================  =================
name                distribution                                    default for
==================  ==============================================  =================
``he_normal``       N(0, 2 / n_in)                                  relu, leaky_relu,
                                                                    elu, gelu
``he_uniform``      U(-sqrt(6 / n_in), +sqrt(6 / n_in))
``glorot_normal``   N(0, 2 / (n_in + n_out))
``glorot_uniform``  U(+-sqrt(6 / (n_in + n_out)))                   every other
``small_random``    0.01 * N(0, 1), the seed note's initialisation
``zeros``           0 (a network of zeros cannot break symmetry)
==================  ==============================================  =================
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import DTypeLike

from layerwise._internal.validation import Lookup

__all__ = ["get", "names", "default_for", "he_normal", "he_uniform", "glorot_normal"]
__all__ += ["glorot_uniform", "small_random", "zeros"]

Initializer = Callable[[np.random.Generator, int, int, np.dtype], np.ndarray]


_BLOCK = 1 << 20  # values drawn at a time: the float64 temporary stays at most 8 MiB


def _drawn(
    shape: tuple[int, int], dtype: DTypeLike, draw: Callable[[int], np.ndarray]
) -> np.ndarray:
    """An array of ``dtype`` filled block of rows by block of rows from ``draw(rows)``.

    NumPy's Generator draws in float64; a weight matrix of float32 is filled from bounded
    float64 blocks instead of one full-size float64 array then cast (half the memory of a
    large layer), with the very values of a single draw: the stream is the same."""
    W = np.empty(shape, dtype)
    rows = max(1, _BLOCK // max(shape[1], 1))
    for i in range(0, shape[0], rows):
        W[i : i + rows] = draw(min(rows, shape[0] - i))
    return W


def _normal(
    rng: np.random.Generator, shape: tuple[int, int], std: float, dtype: DTypeLike
) -> np.ndarray:
    return _drawn(shape, dtype, lambda r: rng.standard_normal((r, shape[1])) * std)


def _uniform(
    rng: np.random.Generator, shape: tuple[int, int], limit: float, dtype: DTypeLike
) -> np.ndarray:
    return _drawn(shape, dtype, lambda r: rng.uniform(-limit, limit, (r, shape[1])))


def he_normal(
    rng: np.random.Generator, n_in: int, n_out: int, dtype: DTypeLike = np.float32
) -> np.ndarray:
    """He et al. (2015): N(0, 2/n_in), keeps the variance of relu activations."""
    return _normal(rng, (n_in, n_out), math.sqrt(2.0 / n_in), dtype)


def he_uniform(
    rng: np.random.Generator, n_in: int, n_out: int, dtype: DTypeLike = np.float32
) -> np.ndarray:
    """U(-l, l) with l = sqrt(6/n_in): the same variance as :func:`he_normal`."""
    return _uniform(rng, (n_in, n_out), math.sqrt(6.0 / n_in), dtype)


def glorot_normal(
    rng: np.random.Generator, n_in: int, n_out: int, dtype: DTypeLike = np.float32
) -> np.ndarray:
    """Glorot & Bengio (2010): N(0, 2/(n_in+n_out))."""
    return _normal(rng, (n_in, n_out), math.sqrt(2.0 / (n_in + n_out)), dtype)


def glorot_uniform(
    rng: np.random.Generator, n_in: int, n_out: int, dtype: DTypeLike = np.float32
) -> np.ndarray:
    """U(-l, l) with l = sqrt(6/(n_in+n_out)) (Keras' default)."""
    return _uniform(rng, (n_in, n_out), math.sqrt(6.0 / (n_in + n_out)), dtype)


def small_random(
    rng: np.random.Generator, n_in: int, n_out: int, dtype: DTypeLike = np.float32
) -> np.ndarray:
    """``0.01 * randn``: the seed note's initialisation (slow to train deep nets)."""
    return _normal(rng, (n_in, n_out), 0.01, dtype)  # 0.01 * randn, as the note writes it


def zeros(
    rng: np.random.Generator, n_in: int, n_out: int, dtype: DTypeLike = np.float32
) -> np.ndarray:
    """All zeros. Hidden neurons stay identical forever; useful for output layers only."""
    return np.zeros((n_in, n_out), dtype=dtype)


_REGISTRY: dict[str, Initializer] = {
    f.__name__: f
    for f in (he_normal, he_uniform, glorot_normal, glorot_uniform, small_random, zeros)
}
_ALIASES = {"he": "he_normal", "glorot": "glorot_uniform", "xavier": "glorot_uniform"}
_RELU_LIKE = {"relu", "leaky_relu", "elu", "gelu"}


def names() -> list[str]:
    """Names accepted by :func:`get` (aliases: he, glorot, xavier)."""
    return sorted(_REGISTRY)


def default_for(activation_name: str) -> str:
    """The initialiser used when a layer names none: He for relu-like, else Glorot."""
    return "he_normal" if activation_name in _RELU_LIKE else "glorot_uniform"


def get(init: str | Initializer) -> Initializer:
    """Resolve a name or a callable ``(rng, n_in, n_out, dtype) -> W``.

    Raises
    ------
    ValueError
        For an unknown name; the message lists the valid names.
    """
    if callable(init):
        return init
    if not isinstance(init, str):
        raise TypeError(f"init must be a name or a callable, got {type(init).__name__} {init!r}")
    key = _ALIASES.get(init.strip().lower(), init.strip().lower())
    if key not in _REGISTRY:
        raise ValueError(
            f"unknown init {init!r}; valid names: {', '.join(names())} (or he, glorot, xavier)"
        )
    return _REGISTRY[key]


RULE = Lookup(get, Callable, what="an initializer name or a callable")


def name_of(init: str | Initializer) -> str | None:
    """The registry name of an initialiser, or None for a user callable."""
    f = get(init)
    return f.__name__ if _REGISTRY.get(getattr(f, "__name__", "")) is f else None
