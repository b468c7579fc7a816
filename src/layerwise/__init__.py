"""layerwise: dense neural networks on NumPy, trained by three visible steps.

>>> import layerwise as lw
>>> model = lw.mlp(2, [4], 1, activation="tanh", output_activation="sigmoid", seed=0)
>>> A, caches = model.forward([[0.0, 1.0]])     # forward: caches hold A_prev, W, b, Z
>>> grads = model.backward(caches, [1], "bce")   # backward: grads hold dW, db
>>> model.update(grads, lr=0.01)                 # update: W -= lr*dW, b -= lr*db
"""

from layerwise import (
    activations,
    callbacks,
    datasets,
    initializers,
    losses,
    metrics,
    optimizers,
    regularization,
    schedules,
    surgery,
)
from layerwise.gradcheck import gradient_check
from layerwise.io import load, save
from layerwise.layers import Dense, Layer
from layerwise.model import Sequential, mlp
from layerwise.regularization import BatchNorm, Dropout
from layerwise.sweep import SweepResult, sweep  # dask is imported only inside sweep
from layerwise.training import DivergenceError, History, fit

__version__ = "0.1.0"

# MLPClassifier, MLPRegressor (scikit-learn) and export (torch, onnx) are attributes loaded
# on first use (see __getattr__ below), like plot (matplotlib). They stay out of __all__ so
# that `from layerwise import *` never needs an optional extra.

__all__ = [
    "BatchNorm",
    "Dense",
    "Dropout",
    "DivergenceError",
    "History",
    "Layer",
    "Sequential",
    "SweepResult",
    "activations",
    "callbacks",
    "datasets",
    "fit",
    "gradient_check",
    "initializers",
    "load",
    "losses",
    "metrics",
    "mlp",
    "optimizers",
    "plot",
    "regularization",
    "save",
    "schedules",
    "surgery",
    "sweep",
]


def __getattr__(name: str):
    # lw.plot is imported on first use, so `import layerwise` stays free of matplotlib.
    if name == "plot":
        import importlib

        return importlib.import_module("layerwise.plot")
    # the estimators subclass scikit-learn's BaseEstimator: imported on first use, so
    # `import layerwise` never needs scikit-learn (lw.export imports torch/onnx only inside
    # its functions)
    if name in ("MLPClassifier", "MLPRegressor", "export"):
        import importlib

        if name == "export":
            return importlib.import_module("layerwise.export")
        return getattr(importlib.import_module("layerwise.estimators"), name)
    raise AttributeError(f"module 'layerwise' has no attribute {name!r}")
