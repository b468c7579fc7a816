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
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
import warnings
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# name -> (module, attribute or None for the module itself)
_LAZY: dict[str, tuple[str, str | None]] = {
    **{
        m: (f"layerwise.{m}", None)
        for m in (
            "activations",
            "datasets",
            "initializers",
            "losses",
            "optimizers",
            "plot",
            "regularization",
            "saving",
            "surgery",
            "training",
            "export",
        )
    },  # fmt: skip
    # the public modules of the training ring, by their short names (lw.callbacks.EarlyStopping)
    "callbacks": ("layerwise.training.callbacks", None),
    "metrics": ("layerwise.training.metrics", None),
    "schedules": ("layerwise.training.schedules", None),
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
    "load": ("layerwise.saving", "load"),
    "save": ("layerwise.saving", "save"),
    "sweep": ("layerwise.sweeps", "sweep"),  # dask is imported only inside sweep
    "SweepResult": ("layerwise.sweeps", "SweepResult"),
    # the estimators subclass scikit-learn's BaseEstimator and export needs torch/onnx in
    # its functions: they stay out of __all__, so `from layerwise import *` needs no extra
    "MLPClassifier": ("layerwise.estimators", "MLPClassifier"),
    "MLPRegressor": ("layerwise.estimators", "MLPRegressor"),
}

# The names __getattr__ loads, for type checkers. Not lw.callbacks, load, save, saving, sweep,
# SweepResult: their modules import layerwise itself, a cycle tests/test_imports.py refuses.
if TYPE_CHECKING:
    from layerwise import (  # noqa: F401
        activations,
        datasets,
        export,
        initializers,
        losses,
        optimizers,
        plot,
        regularization,
        surgery,
        training,
    )
    from layerwise.builders import mlp  # noqa: F401
    from layerwise.estimators import MLPClassifier, MLPRegressor  # noqa: F401
    from layerwise.gradcheck import gradient_check  # noqa: F401
    from layerwise.layers import Dense, Layer  # noqa: F401
    from layerwise.model import Sequential  # noqa: F401
    from layerwise.regularization import BatchNorm, Dropout  # noqa: F401
    from layerwise.training import DivergenceError, History, fit, metrics, schedules  # noqa: F401

# the folders saving and training are reached by their public names (lw.save, lw.fit, ...)
__all__ = sorted(set(_LAZY) - {"MLPClassifier", "MLPRegressor", "export", "saving", "training"})


def __getattr__(name: str) -> Any:
    if f"{__name__}.{name}" in _MOVED and name not in _LAZY:  # lw.io: the old module, warned
        return importlib.import_module(f"{__name__}.{name}")
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


# Old import paths, from before each ring of the package had its folder: importing one still
# works (a module that forwards to the new one) and warns with the path to use instead.
_MOVED: dict[str, str] = {
    "layerwise.callbacks": "layerwise.training.callbacks",
    "layerwise.schedules": "layerwise.training.schedules",
    "layerwise.metrics": "layerwise.training.metrics",
    "layerwise.io": "layerwise.saving",
    "layerwise.io_sklearn": "layerwise.saving._sklearn",
    "layerwise.sweep": "layerwise.sweeps",
    "layerwise.tasks": "layerwise.targets",
}


class _MovedFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds the paths of ``_MOVED``: a module that forwards every attribute to the new one."""

    def find_spec(
        self, name: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        if name not in _MOVED:
            return None
        return importlib.util.spec_from_loader(name, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        return None  # the default module

    def exec_module(self, module: types.ModuleType) -> None:
        new = _MOVED[module.__name__]
        warnings.warn(
            f"{module.__name__} has moved: import {new} instead",
            DeprecationWarning,
            stacklevel=2,
        )
        target = importlib.import_module(new)
        module.__getattr__ = lambda name: getattr(target, name)  # type: ignore[method-assign]
        module.__dict__["__all__"] = list(getattr(target, "__all__", ()))  # not in ModuleType
        module.__doc__ = f"Moved to :mod:`{new}` (this path is deprecated)."


if not any(isinstance(f, _MovedFinder) for f in sys.meta_path):
    sys.meta_path.append(_MovedFinder())


class _Package(types.ModuleType):
    """``lw.sweep`` is the function, and ``lw.callbacks`` (``schedules``, ``metrics``) the
    module of the training ring: importing an old path of the same name (the import system
    then sets the package's attribute to it) must not replace them."""

    def __setattr__(self, name: str, value: object) -> None:
        if isinstance(value, types.ModuleType) and value.__name__ in _MOVED:
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
