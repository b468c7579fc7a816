"""Weight initialisers: ``init(rng, n_in, n_out, dtype) -> W`` of shape ``(n_in, n_out)``.

All randomness comes from the ``numpy.random.Generator`` passed in (the model's), so the
same seed gives the same weights. Biases start at zero.

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

from collections.abc import Callable

import numpy as np

__all__ = ["get", "names", "default_for", "he_normal", "he_uniform", "glorot_normal"]
__all__ += ["glorot_uniform", "small_random", "zeros"]

Initializer = Callable[[np.random.Generator, int, int, np.dtype], np.ndarray]


def he_normal(rng: np.random.Generator, n_in: int, n_out: int, dtype=np.float32) -> np.ndarray:
    """He et al. (2015): N(0, 2/n_in), keeps the variance of relu activations."""
    return (rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in)).astype(dtype)


def he_uniform(rng: np.random.Generator, n_in: int, n_out: int, dtype=np.float32) -> np.ndarray:
    """U(-l, l) with l = sqrt(6/n_in): the same variance as :func:`he_normal`."""
    limit = np.sqrt(6.0 / n_in)
    return rng.uniform(-limit, limit, (n_in, n_out)).astype(dtype)


def glorot_normal(rng: np.random.Generator, n_in: int, n_out: int, dtype=np.float32) -> np.ndarray:
    """Glorot & Bengio (2010): N(0, 2/(n_in+n_out))."""
    return (rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / (n_in + n_out))).astype(dtype)


def glorot_uniform(rng: np.random.Generator, n_in: int, n_out: int, dtype=np.float32) -> np.ndarray:
    """U(-l, l) with l = sqrt(6/(n_in+n_out)) (Keras' default)."""
    limit = np.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-limit, limit, (n_in, n_out)).astype(dtype)


def small_random(rng: np.random.Generator, n_in: int, n_out: int, dtype=np.float32) -> np.ndarray:
    """``0.01 * randn``: the seed note's initialisation (slow to train deep nets)."""
    return (0.01 * rng.standard_normal((n_in, n_out))).astype(dtype)


def zeros(rng: np.random.Generator, n_in: int, n_out: int, dtype=np.float32) -> np.ndarray:
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


def name_of(init: str | Initializer) -> str | None:
    """The registry name of an initialiser, or None for a user callable."""
    f = get(init)
    return f.__name__ if _REGISTRY.get(getattr(f, "__name__", "")) is f else None
