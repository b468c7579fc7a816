"""Plain functions shared by the test modules of the top level (see tests/README.md): the
four points of XOR and a 2-3-1 sigmoid network to fit on them, the smallest run that reaches
every check of ``fit``."""

from __future__ import annotations

from typing import Any

import numpy as np

import layerwise as lw

X4 = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y4 = np.array([0, 1, 1, 0])


def binary(**kwargs: Any) -> lw.Sequential:
    """A 2-3-1 network with a sigmoid output, seed 0."""
    return lw.mlp(2, [3], 1, output_activation="sigmoid", seed=0, **kwargs)


def fit(model: lw.Sequential, X: Any = X4, y: Any = Y4, loss: str = "bce", **kwargs: Any) -> Any:
    """``model.fit`` on XOR, quietly, for one epoch unless told otherwise."""
    kwargs.setdefault("epochs", 1)
    return model.fit(X, y, loss=loss, verbose=False, **kwargs)
