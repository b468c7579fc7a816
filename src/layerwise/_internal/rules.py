"""The declared parameter rules.

Every public class declares the rule of each of its parameters next to them, in the style
of scikit-learn's ``_parameter_constraints``: a dict ``{name: [rule, ...]}`` on the class
(``None`` in the list allows None), or, for the dataclass optimizers, the ``rule`` of each
field (``hyperparameter``). ``check_params`` applies them: a value of no accepted type is a
TypeError, a value of an accepted type that breaks its rule a ValueError; both name the
parameter, the value and what is allowed. tests/_internal/test_validation.py walks every
public constructor with wrong types and values drawn from these declarations.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import os
from collections.abc import Sequence
from typing import Any

import numpy as np


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
            if self.high is None:
                out.append(math.inf)  # unbounded above, but finite
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
SeedLike = int | np.random.Generator | None  # the type of a seed that SEED accepts
SEED: list[Rule | None] = [
    NON_NEGATIVE_INT, Instance(np.random.Generator, what="a numpy Generator"), None
]  # fmt: skip
MODE = Options("auto", "min", "max")
MONITOR = Instance(str, what="a log name such as 'val_loss'")
