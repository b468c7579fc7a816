"""Checks at the public boundary: bad input gets an error that names it and the fix."""

from __future__ import annotations

import dataclasses
import math
import numbers
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from layerwise._internal.array_api import array_namespace, describe, device_of, dtype_of, is_foreign

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


# ------------------------------------------------------------- the declared parameter rules
# Every public class declares the rule of each of its parameters next to them, in the style
# of scikit-learn's ``_parameter_constraints``: a dict ``{name: [rule, ...]}`` on the class
# (``None`` in the list allows None), or, for the dataclass optimizers, the ``rule`` of each
# field (``hyperparameter``). ``check_params`` applies them: a value of no accepted type is a
# TypeError, a value of an accepted type that breaks its rule a ValueError; both name the
# parameter, the value and what is allowed. tests/_internal/test_validation.py walks every
# public constructor with wrong types and values drawn from these declarations.


class Rule:
    """What one parameter accepts: ``accepts(v)`` says whether ``v`` has an allowed type,
    ``check(v, name)`` returns the value to keep or raises ValueError."""

    def accepts(self, v: Any) -> bool:
        raise NotImplementedError

    def check(self, v: Any, name: str) -> Any:
        return v

    def describe(self) -> str:
        raise NotImplementedError

    def bad_values(self) -> list[Any]:
        """Values of an accepted type that the rule refuses (for tests)."""
        return []


#: the rules of each parameter of a class, by name: its ``_parameter_constraints``
Constraints = dict[str, list[Rule | None]]


class Interval(Rule):
    """A number (``numbers.Real``) or integer (``numbers.Integral``) between ``low`` and
    ``high`` (None: unbounded); ``closed`` is "both", "left", "right" or "neither"."""

    def __init__(self, kind: type, low: float | None, high: float | None, *,
                 closed: str = "both") -> None:  # fmt: skip
        self.kind, self.low, self.high, self.closed = kind, low, high, closed

    def accepts(self, v: Any) -> bool:
        return isinstance(v, self.kind) and not isinstance(v, bool)

    def check(self, v: Any, name: str) -> Any:
        x = int(v) if self.kind is numbers.Integral else float(v)
        lo, hi = self.low, self.high
        left = lo is None or (x >= lo if self.closed in ("both", "left") else x > lo)
        right = (hi is None and math.isfinite(x)) or (
            hi is not None and (x <= hi if self.closed in ("both", "right") else x < hi)
        )
        if not (left and right):  # a NumPy scalar shown as a number: got -3, not np.int64(-3)
            raise ValueError(f"{name} must be {self.describe()}, got {x!r}")
        return x

    def describe(self) -> str:
        what = "an integer" if self.kind is numbers.Integral else "a number"
        if self.low == 0 and self.high is None and self.closed in ("neither", "right"):
            return f"a positive {what.split()[1]}"
        if self.low == 0 and self.high is None:
            return f"{what} >= 0"
        lb = "[" if self.closed in ("both", "left") else "("
        rb = "]" if self.closed in ("both", "right") else ")"
        lo = "-inf" if self.low is None else f"{self.low:g}"
        hi = "inf" if self.high is None else f"{self.high:g}"
        return f"{what} in {lb}{lo}, {hi}{rb}"

    def bad_values(self) -> list[Any]:
        out: list[Any] = []
        if self.low is not None:
            out.append(self.low - 1 if self.closed in ("both", "left") else self.low)
        if self.high is not None:
            out.append(self.high + 1 if self.closed in ("both", "right") else self.high)
        if self.kind is not numbers.Integral:
            out.append(math.nan)
        return out


class Options(Rule):
    """One of the strings ``values``."""

    def __init__(self, *values: str) -> None:
        self.values = values

    def accepts(self, v: Any) -> bool:
        return isinstance(v, str)

    def check(self, v: Any, name: str) -> Any:
        if v not in self.values:
            raise ValueError(f"{name} must be {self.describe()}, got {v!r}")
        return v

    def describe(self) -> str:
        return "one of " + ", ".join(repr(o) for o in self.values)

    def bad_values(self) -> list[Any]:
        return ["no-such-option"]


class Boolean(Rule):
    """True or False (a NumPy bool too)."""

    def accepts(self, v: Any) -> bool:
        return isinstance(v, bool | np.bool_)

    def check(self, v: Any, name: str) -> Any:
        return bool(v)

    def describe(self) -> str:
        return "True or False"


class Instance(Rule):
    """An instance of one of ``types`` (``what`` says it in words: "a path")."""

    def __init__(self, *types: Any, what: str) -> None:
        self.types, self.what = types, what

    def accepts(self, v: Any) -> bool:
        return isinstance(v, self.types) and not (isinstance(v, bool) and bool not in self.types)

    def describe(self) -> str:
        return self.what


class Lookup(Rule):
    """A name of a registry (or an object of ``types``), resolved by ``get``; the name
    checked by ``get`` itself (an unknown one is its ValueError, which lists the names)."""

    def __init__(self, get: Any, *types: Any, what: str) -> None:
        self.get, self.types, self.what = get, (str, *types), what

    def accepts(self, v: Any) -> bool:
        return isinstance(v, self.types)

    def check(self, v: Any, name: str) -> Any:
        return self.get(v)

    def describe(self) -> str:
        return self.what

    def bad_values(self) -> list[Any]:
        return ["no-such-name"]


def check_param(value: Any, name: str, rules: Sequence[Rule | None]) -> Any:
    """``value`` checked against the rules of the parameter ``name``; returns the value to
    keep (a number as int or float, a name resolved). The first rule whose type matches
    decides; a value no rule's type matches is a TypeError."""
    if value is None and None in rules:
        return None
    typed = [r for r in rules if r is not None and r.accepts(value)]
    if not typed:
        said = ["None" if r is None else r.describe() for r in rules]
        allowed = said[0] if len(said) == 1 else ", ".join(said[:-1]) + " or " + said[-1]
        raise TypeError(f"{name} must be {allowed}, got {type(value).__name__} {value!r}")
    return typed[0].check(value, name)


def check_params(owner: Any, **values: Any) -> dict[str, Any]:
    """Every keyword checked against the rules ``owner`` (a class or an instance) declares in
    its ``_parameter_constraints`` (or against ``owner`` itself, a dict of rules by name);
    returns the values to keep, by name."""
    rules = owner if isinstance(owner, dict) else owner._parameter_constraints
    return {k: check_param(v, k, rules[k]) for k, v in values.items()}


def set_params(owner: Any, **values: Any) -> None:
    """:func:`check_params`, then each value set as the attribute of its name on ``owner``."""
    for name, value in check_params(owner, **values).items():
        setattr(owner, name, value)


def hyperparameter(default: Any, *rules: Rule | None) -> Any:
    """A dataclass field declared once: its default and its rules. The optimizers'
    ``__init__``, validation, ``get_config`` and ``repr`` all follow from these."""
    return dataclasses.field(default=default, metadata={"rules": list(rules)})


class UnitPair(Rule):
    """A pair of numbers in [0, 1), such as Adam's ``betas``."""

    def accepts(self, v: Any) -> bool:
        return isinstance(v, tuple | list) and len(v) == 2

    def check(self, v: Any, name: str) -> Any:
        unit = [Interval(numbers.Real, 0, 1, closed="left")]
        return (check_param(v[0], f"{name}[0]", unit), check_param(v[1], f"{name}[1]", unit))

    def describe(self) -> str:
        return "a pair of numbers in [0, 1)"

    def bad_values(self) -> list[Any]:
        return [(1.0, 0.5), (0.5, -0.1)]


def real(default: float, low: float = 0.0, high: float | None = None, *,
         closed: str = "left") -> Any:  # fmt: skip
    """A real hyperparameter in an interval (default: a finite number >= 0)."""
    return hyperparameter(default, Interval(numbers.Real, low, high, closed=closed))


def flag(default: bool) -> Any:
    """A boolean hyperparameter."""
    return hyperparameter(default, Boolean())


def check_declared(obj: Any) -> None:
    """Check every declared hyperparameter of the dataclass ``obj`` (keeping the result)."""
    for f in dataclasses.fields(obj):
        if "rules" in f.metadata:
            setattr(obj, f.name, check_param(getattr(obj, f.name), f.name, f.metadata["rules"]))


def declared_rules(cls: type) -> dict[str, list[Rule | None]]:
    """The rules a class declares for its parameters, by name (its ``_parameter_constraints``
    or, for a dataclass, its fields' rules)."""
    if dataclasses.is_dataclass(cls):
        return {
            f.name: f.metadata["rules"] for f in dataclasses.fields(cls) if "rules" in f.metadata
        }
    return dict(getattr(cls, "_parameter_constraints", {}))


# the rules most parameters share
POSITIVE = Interval(numbers.Real, 0, None, closed="neither")
POSITIVE_INT = Interval(numbers.Integral, 0, None, closed="neither")
NON_NEGATIVE = Interval(numbers.Real, 0, None, closed="left")
NON_NEGATIVE_INT = Interval(numbers.Integral, 0, None, closed="left")
PATH = Instance(str, os.PathLike, what="a file path (str or PathLike)")
DTYPE = Lookup(check_dtype, type, np.dtype, what="'float32' or 'float64'")
SeedLike = int | np.random.Generator | None  # the type of a seed that SEED accepts
SEED: list[Rule | None] = [
    NON_NEGATIVE_INT, Instance(np.random.Generator, what="a numpy Generator"), None
]  # fmt: skip
MODE = Options("auto", "min", "max")
MONITOR = Instance(str, what="a log name such as 'val_loss'")
