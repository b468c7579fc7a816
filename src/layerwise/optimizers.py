"""Optimizers: they own their state, keyed by parameter name, and know nothing of layers.

The model hands an optimizer ``(key, param, grad)`` triples, ``key`` being
``"<layer name>/<param name>"``; ``step`` updates each ``param`` in place. State (momentum,
moment estimates) lives in ``optimizer.state[key]``, so when the network changes shape the
model can remap or drop exactly the entries of the parameters that changed.

>>> import layerwise as lw
>>> opt = lw.optimizers.get("sgd", lr=0.1)
>>> opt
SGD(lr=0.1)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from layerwise._validation import check_positive

__all__ = ["Optimizer", "SGD", "get", "names", "from_config"]

ParamGrad = tuple[str, np.ndarray, np.ndarray]


class Optimizer:
    """Base class. Subclasses implement ``_update(key, param, grad)``.

    Parameters
    ----------
    lr : float
        Learning rate (> 0).

    Attributes
    ----------
    state : dict[str, dict[str, ndarray]]
        Per-parameter state, keyed like the parameters.
    iterations : int
        Number of ``step`` calls so far.
    """

    name = ""

    def __init__(self, lr: float = 0.01) -> None:
        self.lr = check_positive(lr, "lr")
        self.state: dict[str, dict[str, np.ndarray]] = {}
        self.iterations = 0

    def step(self, params: Iterable[ParamGrad]) -> None:
        """Update every ``param`` in place from its ``grad``."""
        self.iterations += 1
        for key, p, g in params:
            self._update(key, p, g)

    def _update(self, key: str, p: np.ndarray, g: np.ndarray) -> None:
        raise NotImplementedError

    def forget(self, *, prefix: str | None = None, key: str | None = None) -> None:
        """Drop the state of one parameter (``key``) or of all keys starting with ``prefix``."""
        for k in list(self.state):
            if k == key or (prefix is not None and k.startswith(prefix)):
                del self.state[k]

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "lr": self.lr}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "name")
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """Plain gradient descent, the seed's update: ``p -= lr * g``."""

    name = "sgd"

    def _update(self, key, p, g):
        p -= self.lr * g


_REGISTRY: dict[str, type[Optimizer]] = {"sgd": SGD}


def names() -> list[str]:
    return sorted(_REGISTRY)


def get(optimizer: str | Optimizer, lr: float = 0.01) -> Optimizer:
    """An optimizer from a name (with ``lr``) or the object itself (its own lr rules)."""
    if isinstance(optimizer, Optimizer):
        return optimizer
    if not isinstance(optimizer, str):
        raise TypeError(
            f"optimizer must be a name or an Optimizer, got {type(optimizer).__name__} "
            f"{optimizer!r}"
        )
    key = optimizer.strip().lower()
    if key not in _REGISTRY:
        raise ValueError(f"unknown optimizer {optimizer!r}; valid names: {', '.join(names())}")
    return _REGISTRY[key](lr=lr)


def from_config(config: dict[str, Any]) -> Optimizer:
    """Rebuild an optimizer (without state) from its :meth:`Optimizer.get_config`."""
    config = dict(config)
    name = config.pop("name", None)
    if name not in _REGISTRY:
        raise ValueError(f"unknown optimizer {name!r} in config; valid names: {', '.join(names())}")
    return _REGISTRY[name](**config)
