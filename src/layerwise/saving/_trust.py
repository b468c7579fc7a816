"""Which types a saved scikit-learn object may hold without the user vouching for them, and
which step of the object holds a given one.

skops' safe format rebuilds only the types the loader trusts. Trusted here *by construction*,
because they are code that ships with the libraries a layerwise file is made of, not code
that a file can bring along:

- layerwise's own classes (networks, layers, optimizers, schedules, estimators);
- scikit-learn's own classes and functions (``SimpleImputer``, ``f_classif``, its Cython
  trees and distance metrics), defined in scikit-learn itself, outside its test modules;
- NumPy's dtypes, ufuncs and reductions (``numpy.dtype``, ``numpy.mean``), SciPy's sparse
  matrices, and the two SciPy names that scikit-learn's ``SplineTransformer`` holds
  (``BSpline`` and its array helper).

A name is trusted only when it resolves to an object defined under exactly that name (so a
scikit-learn module that imports something from elsewhere does not lend it its trust).
Anything else (your own classes, other libraries' estimators) needs ``lw.load(path,
trusted=[...])``, as ``skops.io.load`` does.
"""

from __future__ import annotations

import contextlib
import importlib
import re
import sys
import types
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

import layerwise

_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+")
_LAYERWISE = (
    "layerwise.model", "layerwise.layers", "layerwise.activations", "layerwise.regularization",
    "layerwise.optimizers", "layerwise.state", "layerwise.training", "layerwise.initializers",
    "layerwise.datasets", "layerwise.estimators",
    "layerwise.schedules",  # the path of the schedules in files saved before layerwise.training
)  # fmt: skip
_NOT_LIBRARY_CODE = {"tests", "testing", "_testing", "conftest"}
# the parts of a fitted SplineTransformer that are SciPy's (its bsplines_)
_SCIPY = {
    "scipy.interpolate._bsplines.BSpline",
    "scipy._lib.array_api_compat.numpy._aliases.asarray",
}
# NumPy functions that scikit-learn takes as parameters (FeatureAgglomeration's pooling_func)
_NUMPY_FUNCTIONS = {
    "mean", "median", "average", "sum", "prod", "min", "max", "amin", "amax", "std", "var",
    "ptp", "percentile", "quantile", "nanmean", "nanmedian", "nansum", "nanmin", "nanmax",
    "nanstd", "nanvar", "cumsum", "cumprod",
}  # fmt: skip


def by_construction(name: str) -> bool:
    """Whether the type or function ``name`` (``"module.attribute"``, as skops reports it) is
    trusted without the user's say-so (see the module's docstring)."""
    if not isinstance(name, str) or not _DOTTED.fullmatch(name):
        return False
    if name in _SCIPY:
        return True
    module, _, attr = name.rpartition(".")
    root = module.split(".")[0]
    if root not in ("numpy", "scipy", "sklearn", "layerwise"):
        return False
    if _NOT_LIBRARY_CODE & set(module.split(".")):
        return False
    if root == "scipy" and not module.startswith("scipy.sparse."):
        return False
    if root == "layerwise" and not module.startswith(_LAYERWISE):
        return False
    obj = _resolve(module, attr)
    if obj is None:
        return False
    if root == "scipy":  # the sparse matrices (SparseRandomProjection's components_)
        from scipy import sparse

        return isinstance(obj, type) and issubclass(obj, sparse.spmatrix | sparse.sparray)
    if root == "numpy":
        return (
            (isinstance(obj, type) and issubclass(obj, np.dtype))
            or isinstance(obj, np.ufunc)
            or (module == "numpy" and attr in _NUMPY_FUNCTIONS)
        )
    # defined right there under that name, not imported into the module from elsewhere (or
    # at the old path of that module: layerwise.schedules is now layerwise.training.schedules)
    home = {module, layerwise._MOVED.get(module, module)}
    if getattr(obj, "__module__", None) not in home or getattr(obj, "__qualname__", None) != attr:
        return False
    return isinstance(obj, type) or (root == "sklearn" and callable(obj))


@contextlib.contextmanager
def old_paths_quietly() -> Iterator[None]:
    """A file saved before the package had its folders names the old paths of its types
    (``layerwise.schedules.StepLR``): they import, without the warning meant for code."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", r"layerwise\.\w+ has moved", DeprecationWarning)
        yield


def _resolve(module: str, attr: str) -> Any:
    try:
        with old_paths_quietly():
            mod = sys.modules.get(module) or importlib.import_module(module)
        return getattr(mod, attr)
    except Exception:  # any failure to import means: not trusted
        return None


def importable(name: str) -> bool:
    """Whether another program could find ``name`` again: a module other than ``__main__``
    that imports, holding that attribute."""
    module, _, attr = name.rpartition(".")
    if not module or module == "__main__" or not _DOTTED.fullmatch(name):
        return False
    return _resolve(module, attr) is not None


def type_name(obj: Any) -> str:
    """``"module.qualname"`` of a class or function (as skops names it), or a string as is."""
    if isinstance(obj, str):
        return obj
    if isinstance(obj, type | types.FunctionType | types.BuiltinFunctionType):
        return f"{obj.__module__}.{obj.__qualname__}"
    raise TypeError(
        f"trusted must list type names (strings such as 'mypackage.MyTransformer') or the "
        f"classes and functions themselves, got {type(obj).__name__} {obj!r}"
    )


# ------------------------------------------------------------------ where in the object
def _is_node(value: Any) -> bool:
    """An estimator, or one of scikit-learn's helper objects holding estimators."""
    if isinstance(value, type | dict) or not hasattr(value, "__dict__"):
        return False
    module = type(value).__module__
    return hasattr(value, "get_params") or module.startswith("sklearn.")


def children(obj: Any) -> Iterator[tuple[str, Any]]:
    """The estimators directly inside ``obj``, each with its name: a Pipeline's steps, a
    FeatureUnion's or ColumnTransformer's (fitted) transformers, a meta-estimator's
    ``best_estimator_``, ``estimators_[i]`` and the like."""
    if isinstance(getattr(obj, "steps", None), list):
        yield from ((name, step) for name, step in obj.steps if _is_node(step))
        return
    for attr in ("transformers_", "transformer_list", "transformers"):
        items = getattr(obj, attr, None)
        if isinstance(items, list) and all(isinstance(i, tuple) and len(i) >= 2 for i in items):
            yield from ((str(item[0]), item[1]) for item in items if _is_node(item[1]))
            return
    fitted_first = sorted(vars(obj).items(), key=lambda kv: not kv[0].endswith("_"))
    for attr, value in fitted_first:
        if attr.startswith("_"):  # private: shown as part of the estimator holding it
            continue
        if _is_node(value):
            yield attr, value
        elif isinstance(value, list | tuple):
            for i, item in enumerate(value):
                if isinstance(item, tuple) and len(item) >= 2 and isinstance(item[0], str):
                    if _is_node(item[1]):
                        yield item[0], item[1]
                elif _is_node(item):
                    yield f"{attr}[{i}]", item
        elif isinstance(value, dict):
            yield from ((str(k), v) for k, v in value.items() if _is_node(v))


def locate(obj: Any, bad: Callable[[Any], bool]) -> str:
    """Describe the innermost part of ``obj`` for which ``bad`` holds (``obj`` itself when
    none of its parts does): ``"step 'columntransformer > num > simpleimputer'
    (SimpleImputer)"``."""
    path: list[str] = []
    node, seen = obj, {id(obj)}
    found = (path[:], node)  # the innermost estimator so far (not a helper inside one)
    while True:
        for label, child in children(node):
            if id(child) not in seen and _safely(bad, child):
                seen.add(id(child))
                path.append(label)
                node = child
                if hasattr(node, "get_params"):
                    found = (path[:], node)
                break
        else:
            break
    path, node = found
    if not path:
        return f"the {type(obj).__name__} itself"
    return f"step {' > '.join(path)!r} ({type(node).__name__})"


def _safely(bad: Callable[[Any], bool], value: Any) -> bool:
    try:
        return bool(bad(value))
    except Exception:  # a check that fails says nothing about this part
        return False


def tree(obj: Any, prefix: str = "") -> list[str]:
    """Every estimator inside ``obj``, one ``"path: ClassName"`` line each (for the file's
    description: what ``layerwise.saving.read_header`` shows without loading anything)."""
    lines, stack, seen = [], [(prefix, obj)], set()
    while stack:
        path, node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        lines.append(f"{path or '.'}: {type(node).__module__}.{type(node).__qualname__}")
        kids = [(f"{path}/{label}" if path else label, child) for label, child in children(node)]
        stack.extend(reversed(kids))
    return lines
