"""layerwise: dense neural networks on NumPy, trained by three visible steps.

>>> import layerwise as lw
>>> model = lw.mlp(2, [4], 1, activation="tanh", output_activation="sigmoid", seed=0)
>>> A, caches = model.forward([[0.0, 1.0]])     # forward: caches hold A_prev, W, b, Z
>>> grads = model.backward(caches, [1], "bce")   # backward: grads hold dW, db
>>> model.update(grads, lr=0.01)                 # update: W -= lr*dW, b -= lr*db

Every public name is loaded on first use (PEP 562), so ``import layerwise.activations`` (or
``.layers``, ``.model``) loads the numeric core and nothing above it.
"""

from __future__ import annotations

import importlib
import sys
import types

__version__ = "0.1.0"

# name -> (module, attribute or None for the module itself)
_LAZY: dict[str, tuple[str, str | None]] = {
    **{
        m: (f"layerwise.{m}", None)
        for m in (
            "activations",
            "callbacks",
            "datasets",
            "initializers",
            "losses",
            "metrics",
            "optimizers",
            "plot",
            "regularization",
            "schedules",
            "surgery",
            "export",
        )
    },  # fmt: skip
    "BatchNorm": ("layerwise.regularization", "BatchNorm"),
    "Dropout": ("layerwise.regularization", "Dropout"),
    "Dense": ("layerwise.layers", "Dense"),
    "Layer": ("layerwise.layers", "Layer"),
    "Sequential": ("layerwise.model", "Sequential"),
    "mlp": ("layerwise.builders", "mlp"),
    "DivergenceError": ("layerwise.training", "DivergenceError"),
    "History": ("layerwise.training", "History"),
    "fit": ("layerwise.training", "fit"),
    "gradient_check": ("layerwise.gradcheck", "gradient_check"),
    "load": ("layerwise.io", "load"),
    "save": ("layerwise.io", "save"),
    "sweep": ("layerwise.sweep", "sweep"),  # dask is imported only inside sweep
    "SweepResult": ("layerwise.sweep", "SweepResult"),
    # the estimators subclass scikit-learn's BaseEstimator and export needs torch/onnx in
    # its functions: they stay out of __all__, so `from layerwise import *` needs no extra
    "MLPClassifier": ("layerwise.estimators", "MLPClassifier"),
    "MLPRegressor": ("layerwise.estimators", "MLPRegressor"),
}

__all__ = sorted(set(_LAZY) - {"MLPClassifier", "MLPRegressor", "export"})


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'layerwise' has no attribute {name!r}")
    module, attr = _LAZY[name]
    value = importlib.import_module(module)
    if attr is not None:
        value = getattr(value, attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


class _Package(types.ModuleType):
    """``lw.sweep`` is the function: importing the subpackage of the same name (the import
    system then sets ``layerwise.sweep`` to it) must not replace it."""

    def __setattr__(self, name: str, value: object) -> None:
        if name == "sweep" and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
