"""Builders: networks of the usual shapes, made from the core's layers in one call.

``mlp`` lives here, above the core, so that :mod:`layerwise.model` stays the model alone;
``lw.mlp`` is this function.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from layerwise.layers import Dense, Layer
from layerwise.model import Sequential

__all__ = ["mlp"]


def mlp(
    input_dim: int, hidden: Iterable[int] | int, output_dim: int, *,
    activation: str | Sequence[str] = "relu", output_activation: str = "identity",
    init: str | None = None, seed: int | np.random.Generator | None = None,
    dtype: str = "float32",
) -> Sequential:  # fmt: skip
    """A multilayer perceptron ``input_dim -> hidden[0] -> ... -> output_dim``.

    Parameters
    ----------
    input_dim : int
        Number of input features.
    hidden : sequence of int (or one int)
        Width of each hidden layer; ``[]`` gives no hidden layer (linear or logistic
        regression), ``[16, 8]`` two hidden layers.
    output_dim : int
        Output width (1 for regression or binary classification, n_classes for softmax).
    activation : str or sequence of str, default "relu"
        One activation for every hidden layer, or one per hidden layer.
    output_activation : str, default "identity"
        "sigmoid" for binary, "softmax" for multiclass classification.
    init, seed, dtype
        As in :class:`Dense` and :class:`Sequential`.

    Examples
    --------
    >>> import layerwise as lw
    >>> lw.mlp(2, [4], 1, output_activation="sigmoid").summary().splitlines()[0]
    'Sequential (input_dim=2, dtype=float32)'
    """
    widths = [hidden] if isinstance(hidden, int | np.integer) else list(hidden)
    acts = [activation] * len(widths) if isinstance(activation, str) else list(activation)
    if len(acts) != len(widths):
        raise ValueError(
            f"activation has {len(acts)} entries but hidden has {len(widths)} layers; give one "
            "activation per hidden layer or a single name"
        )
    layers: list[Layer] = [Dense(w, a, init=init) for w, a in zip(widths, acts)]
    layers.append(Dense(output_dim, output_activation, init=init))
    return Sequential(layers, input_dim=input_dim, seed=seed, dtype=dtype)
