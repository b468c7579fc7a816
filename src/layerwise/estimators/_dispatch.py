"""Array API dispatch at the estimators' edge: arrays of another library (PyTorch, CuPy
...) are converted to NumPy on the way in and back on the way out."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from layerwise._internal import array_api as _aa


def dispatched(X: Any) -> Any:
    """``X`` when scikit-learn's array API dispatch is on and ``X`` is an array of another
    library (PyTorch, CuPy ...), else None.

    With ``sklearn.set_config(array_api_dispatch=True)`` the estimators take such arrays and
    return arrays of X's library and device, as scikit-learn's array API estimators do. The
    work inside stays NumPy (scikit-learn's solvers, L-BFGS by SciPy): inputs are converted
    at the edge and outputs converted back. To train on the device itself, use
    ``lw.Sequential.fit`` on those arrays.
    """
    from sklearn import get_config

    return X if get_config().get("array_api_dispatch") and _aa.is_foreign(X) else None


def at_the_edge(method: Callable[..., Any]) -> Callable[..., Any]:
    """A prediction method that, under array API dispatch, takes X of the library and
    device the estimator was fitted on (a ValueError for any other, as scikit-learn's
    ``check_same_namespace``) and returns its arrays there."""

    @functools.wraps(method)
    def run(self: Any, X: Any, *args: Any, **kwargs: Any) -> Any:
        from sklearn import get_config

        if not get_config().get("array_api_dispatch"):
            return method(self, X, *args, **kwargs)
        fitted = self.__dict__.get("_array_like")
        where = _aa.describe(X) if _aa.is_foreign(X) else "numpy"
        if where != ("numpy" if fitted is None else _aa.describe(fitted)):
            raise ValueError(
                f"Inputs passed to {type(self).__name__}.{method.__name__}() must use the same "
                f"namespace and the same device as those passed to fit(): fit got "
                f"{'numpy' if fitted is None else _aa.describe(fitted)}, this call {where}"
            )
        if fitted is None:
            return method(self, X, *args, **kwargs)
        out = method(self, _aa.to_numpy(X), *args, **kwargs)
        numeric = isinstance(out, np.ndarray) and out.dtype.kind in "biuf"
        return _aa.convert(out, fitted) if numeric else out

    return run
