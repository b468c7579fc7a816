"""Plain functions shared by the test modules of the top level (see tests/README.md): the
four points of XOR and a 2-3-1 sigmoid network to fit on them, the smallest run that reaches
every check of ``fit``."""

from __future__ import annotations

from typing import Any

import numpy as np

import layerwise as lw

HIDDEN_ACTIVATIONS = sorted(set(lw.activations.names()) - {"softmax"})
X4 = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y4 = np.array([0, 1, 1, 0])


def binary(**kwargs: Any) -> lw.Sequential:
    """A 2-3-1 network with a sigmoid output, seed 0."""
    return lw.mlp(2, [3], 1, output_activation="sigmoid", seed=0, **kwargs)


def fit(model: lw.Sequential, X: Any = X4, y: Any = Y4, loss: str = "bce", **kwargs: Any) -> Any:
    """``model.fit`` on XOR, quietly, for one epoch unless told otherwise."""
    kwargs.setdefault("epochs", 1)
    return model.fit(X, y, loss=loss, verbose=False, **kwargs)


def check_shapes(model: lw.Sequential) -> None:
    """Every Dense layer's W is (n_in, units) and b (units,), chained from input_dim."""
    n_in = model.input_dim
    for layer in model.layers:
        assert layer.W.shape == (n_in, layer.units) and layer.b.shape == (layer.units,)
        n_in = layer.units


def pair_case(
    net_case: Any, act: str, loss: str, out: str, units: int, targets: str
) -> tuple[lw.Sequential, np.ndarray, Any]:
    """(model, X, y): the 3-6-5 network of the "every hidden activation with every loss"
    gradient tests, whose oracles are PyTorch's autograd (test_model) and finite
    differences (test_gradcheck)."""
    case = net_case(n_in=3, widths=[6, 5], activations=[act, act], units=units, seed=11,
                    output_activation=out, loss=loss, targets=targets, n_samples=7)  # fmt: skip
    return case.build()
