"""Checks at the public boundary: bad input gets an error that names it and the fix.

The data checks live here (X, y, seeds, dtypes, indices, memory); the declared parameter
rules in :mod:`layerwise._internal.rules`, whose names this module re-exports."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from layerwise._internal.array_api import array_namespace, describe, device_of, dtype_of, is_foreign
from layerwise._internal.rules import (
    MODE as MODE,
)
from layerwise._internal.rules import (
    MONITOR as MONITOR,
)
from layerwise._internal.rules import (
    NON_NEGATIVE as NON_NEGATIVE,
)
from layerwise._internal.rules import (
    NON_NEGATIVE_INT as NON_NEGATIVE_INT,
)
from layerwise._internal.rules import (
    PATH as PATH,
)
from layerwise._internal.rules import (
    POSITIVE as POSITIVE,
)
from layerwise._internal.rules import (
    POSITIVE_INT as POSITIVE_INT,
)
from layerwise._internal.rules import (
    SEED as SEED,
)
from layerwise._internal.rules import (  # the rule set, re-exported: callers import from here
    Boolean as Boolean,
)
from layerwise._internal.rules import (
    Constraints as Constraints,
)
from layerwise._internal.rules import (
    Instance as Instance,
)
from layerwise._internal.rules import (
    Interval as Interval,
)
from layerwise._internal.rules import (
    Lookup as Lookup,
)
from layerwise._internal.rules import (
    Options as Options,
)
from layerwise._internal.rules import (
    Rule as Rule,
)
from layerwise._internal.rules import (
    SeedLike as SeedLike,
)
from layerwise._internal.rules import (
    UnitPair as UnitPair,
)
from layerwise._internal.rules import (
    check_declared as check_declared,
)
from layerwise._internal.rules import (
    check_param as check_param,
)
from layerwise._internal.rules import (
    check_params as check_params,
)
from layerwise._internal.rules import (
    declared_rules as declared_rules,
)
from layerwise._internal.rules import (
    flag as flag,
)
from layerwise._internal.rules import (
    hyperparameter as hyperparameter,
)
from layerwise._internal.rules import (
    real as real,
)
from layerwise._internal.rules import (
    set_params as set_params,
)

_DTYPES = {"float32": np.float32, "float64": np.float64}


def check_dtype(dtype: Any) -> np.dtype:
    """Resolve "float32"/"float64" (or the NumPy types) to a dtype."""
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        resolved = None
    if resolved is None or resolved.name not in _DTYPES:
        raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
    return resolved


def check_X(X: Any, dtype: np.dtype, *, name: str = "X", n_features: int | None = None) -> Any:
    """Return X as a C-ordered 2-D array of ``dtype`` after checking it.

    Raises TypeError for non-numeric data and ValueError for a wrong number of dimensions,
    an empty array, NaN/inf, or a feature count other than ``n_features``. An array of
    another Array API library (PyTorch, CuPy, JAX) stays in its library and on its device.
    """
    if is_foreign(X):
        return _check_foreign_X(X, dtype, name=name, n_features=n_features)
    X = numeric_pandas(X)
    try:
        arr = np.asarray(X)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{name} could not be read as an array ({exc}); give a 2-D array") from exc
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"{name} must be numeric, got an array of dtype {arr.dtype}"
            + (" (strings?); convert or encode them as numbers" if arr.dtype.kind in "OUS" else "")
        )
    if arr.ndim != 2:
        hint = (
            "; for one feature use X.reshape(-1, 1), for one sample X.reshape(1, -1)"
            if arr.ndim == 1
            else ""
        )
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape {arr.shape}{hint}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}); give at least one sample")
    with np.errstate(over="ignore"):  # float64 beyond float32's range: reported below
        converted = np.ascontiguousarray(arr, dtype=dtype)
    if not all_finite(converted):
        bad = np.argwhere(~np.isfinite(converted))[0]
        if all_finite(arr):
            raise ValueError(
                f"{name} has values too large for {np.dtype(dtype).name} (first at row "
                f"{bad[0]}, column {bad[1]}); scale the data or use dtype='float64'"
            )
        raise ValueError(
            f"{name} contains NaN or infinity (first at row {bad[0]}, column {bad[1]}); "
            "remove or impute those values"
        )
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError(f"{name} has {arr.shape[1]} features but the model expects {n_features}")
    return converted


def _check_foreign_X(X: Any, dtype: np.dtype, *, name: str, n_features: int | None) -> Any:
    """check_X for an array of another library: the same checks, in that library."""
    xp = array_namespace(X)
    if not (xp.isdtype(X.dtype, "real floating") or xp.isdtype(X.dtype, "integral")):
        raise TypeError(f"{name} must be numeric, got an array of dtype {X.dtype}")
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape {tuple(X.shape)}")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {tuple(X.shape)}); give at least one sample")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"{name} has {X.shape[1]} features but the model expects {n_features}")
    target = dtype_of(xp, dtype)
    if target not in (xp.float32, xp.float64) or (
        dtype == np.float64 and not _has_float64(xp, X)
    ):  # pragma: no cover - a device without float64 (Apple's MPS)
        raise TypeError(f"{name} is on {describe(X)}, which has no {np.dtype(dtype).name}")
    converted = xp.astype(X, target)
    if not bool(xp.all(xp.isfinite(converted))):
        raise ValueError(f"{name} contains NaN or infinity (or values too large for "
                         f"{np.dtype(dtype).name}); remove or impute those values")  # fmt: skip
    return converted


def _has_float64(xp: Any, X: Any) -> bool:
    try:
        xp.zeros(1, dtype=xp.float64, device=device_of(X))
    except (TypeError, RuntimeError, ValueError):
        return False
    return True


def all_finite(arr: Any) -> bool:
    """Whether every value of ``arr`` is finite. One summing pass without a boolean array
    (a sum is NaN or infinite if any term is), the elementwise check only when the sum is
    not finite (NaN or inf inside, or finite values whose sum overflows). For 20,000 x 784
    float32: 6.3 ms against 8.3 ms for ``np.isfinite(arr).all()``, and ``check_X`` makes
    one such pass instead of two (19 -> 7 ms)."""
    if not isinstance(arr, np.ndarray) and is_foreign(arr):
        xp = array_namespace(arr)
        return bool(xp.all(xp.isfinite(arr)))
    if arr.dtype.kind not in "fc":
        return True
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.sum(arr)):
            return True
    return bool(np.isfinite(arr).all())


def numeric_pandas(X: Any) -> Any:
    """A pandas object whose columns are all numeric, nullable ones (``Int64``, ``Float64``,
    ``boolean``) included, as a float64 array with NaN for missing values; anything else
    unchanged. (NumPy reads nullable columns as an object array.)"""
    if not hasattr(X, "to_numpy") or not hasattr(X, "dtypes"):
        return X
    dtypes = [X.dtype] if hasattr(X, "dtype") else list(X.dtypes)
    if dtypes and all(getattr(d, "kind", "O") in "biuf" for d in dtypes):
        return X.to_numpy(dtype=np.float64, na_value=np.nan)
    return X


def check_seed(seed: Any) -> np.random.Generator:
    """The Generator of a ``seed``: an int >= 0, None (fresh entropy) or a Generator itself."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or (isinstance(seed, numbers.Integral) and not isinstance(seed, bool)):
        if seed is not None and seed < 0:
            raise ValueError(f"seed must be an integer >= 0 (or None), got {seed}")
        return np.random.default_rng(None if seed is None else int(seed))
    raise TypeError(f"seed must be an int, a numpy Generator or None, got {seed!r}")


def check_same_length(X: np.ndarray, y: Any, *, names: tuple[str, str] = ("X", "y")) -> None:
    shape = tuple(y.shape) if hasattr(y, "shape") else np.shape(y)
    n_y = shape[0] if shape else None
    if n_y != X.shape[0]:
        raise ValueError(
            f"{names[0]} has {X.shape[0]} samples but {names[1]} has "
            f"{n_y if n_y is not None else 'no'} rows; they must match"
        )


def check_positive(
    value: Any, name: str, *, integer: bool = False, allow_none: bool = False
) -> Any:
    """A positive number (or integer); names the argument and the value when it is not."""
    rules: list[Rule | None] = [Interval(numbers.Integral if integer else numbers.Real, 0, None,
                                         closed="neither")]  # fmt: skip
    return check_param(value, name, rules + [None] if allow_none else rules)


def check_index(i: Any, n: int, what: str = "layer index") -> int:
    """A valid index into n items (negative indices count from the end)."""
    if isinstance(i, bool) or not isinstance(i, numbers.Integral):
        raise TypeError(f"{what} must be an integer, got {type(i).__name__} {i!r}")
    k = int(i)  # numbers.Integral declares no comparison with an int
    if not -n <= k < n:
        raise ValueError(
            f"{what} {i} is out of range: the model has {n} layer(s) (valid: 0..{n - 1})"
        )
    return k % n


def check_range(
    value: Any, name: str, low: float, high: float = math.inf, *,
    low_open: bool = False, high_open: bool = True, integer: bool = False,
) -> Any:  # fmt: skip
    """A number (or integer) in the interval from ``low`` to ``high``.

    The bounds are closed unless ``low_open``/``high_open``. A non-number is a TypeError,
    a number outside (or NaN) a ValueError; both name the argument, the value and the
    interval.
    """
    closed = {(False, False): "both", (True, False): "right", (False, True): "left"}
    rule = Interval(numbers.Integral if integer else numbers.Real, low,
                    None if high == math.inf else high,
                    closed=closed.get((low_open, high_open), "neither"))  # fmt: skip
    return check_param(value, name, [rule])


def resolve(
    value: Any, registry: dict[str, Any], base_class: type, *, kind: str | None = None,
    aliases: dict[str, str] | None = None, build: Any = None, hint: str = "",
) -> Any:  # fmt: skip
    """The one lookup of every registry's ``get()``: an instance of ``base_class`` as it is,
    or a name (case-insensitive, ``aliases`` allowed) as ``build(registry[name])``
    (default: ``registry[name]()``).

    Anything else is a TypeError, an unknown name a ValueError; both say ``kind`` (default:
    the base class's name in lower case) and list the valid names (the sorted keys of
    ``registry``), followed by ``hint``.
    """
    if isinstance(value, base_class):
        return value
    kind = kind or base_class.__name__.lower()
    valid = f"valid names: {', '.join(sorted(registry))}{hint}"
    if not isinstance(value, str):
        cls = base_class.__name__
        article = "an" if cls[0] in "AEIOU" else "a"
        raise TypeError(
            f"{kind} must be a name or {article} {cls}, got {type(value).__name__} "
            f"{value!r}; {valid}"
        )
    key = value.strip().lower()
    key = (aliases or {}).get(key, key)
    if key not in registry:
        raise ValueError(f"unknown {kind} {value!r}; {valid}")
    return build(registry[key]) if build is not None else registry[key]()


def available_memory() -> int:
    """Bytes of memory this process may still allocate: the smallest of the host's available
    memory, RLIMIT_AS/RLIMIT_DATA and the cgroup limit (:mod:`layerwise._internal.memory`)."""
    from layerwise._internal import memory as _memory

    return _memory.available_memory()


def check_allocation(n_elements: Any, dtype: Any, what: str, *, fraction: float = 0.5) -> None:
    """Refuse, before allocating, an array of ``n_elements`` of ``dtype`` that would take
    more than ``fraction`` of the memory this process may still use.

    Raises ValueError naming ``what``, the size asked for and the limit that applied
    (:func:`layerwise._internal.memory.check_allocation`), instead of letting NumPy raise
    MemoryError (or the kernel's OOM killer end the process) later.
    """
    from layerwise._internal import memory as _memory

    _memory.check_allocation(n_elements, dtype, what, fraction=fraction)


DTYPE = Lookup(check_dtype, type, np.dtype, what="'float32' or 'float64'")
