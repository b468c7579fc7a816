"""layerwise._internal.rules: the declared parameter rules, walked over every public
constructor. A value of a type no rule accepts is a TypeError, a value of an accepted type
that breaks its rule a ValueError, and both name the parameter. The wrong values come from
the declarations themselves (``Rule.bad_values``), so a rule added later is tested too; a
public class whose parameters are not all declared fails."""

from __future__ import annotations

import importlib
import inspect
import math
import numbers

import numpy as np
import pytest

from layerwise._internal import rules as v

PUBLIC = [
    "layerwise", "layerwise.layers", "layerwise.regularization", "layerwise.activations",
    "layerwise.losses", "layerwise.optimizers", "layerwise.training",
    "layerwise.training.callbacks", "layerwise.training.schedules", "layerwise.surgery",
    "layerwise.saving", "layerwise.datasets", "layerwise.plot", "layerwise.export",
    "layerwise.estimators", "layerwise.sweeps",
]  # fmt: skip
# results the library builds and hands back (a layer's cache, a fit's History, a sweep's
# table): made by layerwise from checked values, not configured by users
RECORDS = {
    "Cache", "Grads", "DropoutCache", "BatchNormCache", "BatchNormGrads", "History",
    "SweepResult", "SweepData", "CSVInfo", "DatasetInfo",
}  # fmt: skip
# scikit-learn's convention: parameters are checked by fit, against scikit-learn's own
# _parameter_constraints; its check_param_validation walks them (tests/test_estimators.py)
SKLEARN = {"MLPClassifier", "MLPRegressor"}
# the arguments without a default, given a valid value so that the others can be tried
REQUIRED = {
    "Dense": {"units": 3}, "StepLR": {"step_size": 2}, "ExponentialLR": {"gamma": 0.5},
    "CosineAnnealing": {"T_max": 10}, "ModelCheckpoint": {"path": "model.npz"},
    "CSVLogger": {"path": "log.csv"}, "Dropout": {"rate": 0.5},
}  # fmt: skip


def _public_classes() -> list[type]:
    seen: dict[str, type] = {}
    for module in PUBLIC:
        mod = importlib.import_module(module)
        for name in getattr(mod, "__all__", []):
            obj = getattr(mod, name)
            if (inspect.isclass(obj) and obj.__module__.startswith("layerwise")
                    and not issubclass(obj, BaseException)):  # fmt: skip
                seen.setdefault(f"{obj.__module__}.{obj.__qualname__}", obj)
    return [seen[k] for k in sorted(seen)]


def _parameters(cls: type) -> list[str]:
    sig = inspect.signature(cls)
    if any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values()):
        return sorted(v.declared_rules(cls))  # **hooks: the declared names are the parameters
    return [p for p in sig.parameters]


CLASSES = [c for c in _public_classes() if c.__name__ not in RECORDS | SKLEARN]
CASES = [(c, p) for c in CLASSES for p in _parameters(c)]


class _Wrong:
    """A value of a type no rule accepts."""

    def __repr__(self) -> str:
        return "<wrong>"


def _case_id(case: tuple[type, str]) -> str:
    return f"{case[0].__name__}.{case[1]}"


def test_the_walk_finds_the_public_constructors():
    names = {c.__name__ for c in CLASSES}
    assert {"Dense", "Sequential", "SGD", "Adam", "EarlyStopping", "GrowOnPlateau", "StepLR",
            "LivePlot", "MLflowLogger", "BatchNorm", "LambdaCallback"} <= names  # fmt: skip
    assert len(CASES) >= 80


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_every_parameter_of_a_public_class_has_a_declared_rule(cls):
    declared = v.declared_rules(cls)
    missing = [p for p in _parameters(cls) if p not in declared]
    assert missing == [], f"{cls.__name__} declares no rule for {missing}"
    cls(**REQUIRED.get(cls.__name__, {}))  # the defaults follow the rules


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_a_wrong_type_is_a_type_error_naming_the_parameter(case):
    cls, name = case
    with pytest.raises(TypeError, match=rf"\b{name}\b"):
        cls(**{**REQUIRED.get(cls.__name__, {}), name: _Wrong()})


BAD = [(c, p, bad) for c, p in CASES for r in v.declared_rules(c)[p] if r is not None
       for bad in r.bad_values()]  # fmt: skip


@pytest.mark.parametrize("case", BAD, ids=lambda c: f"{c[0].__name__}.{c[1]}={c[2]!r}")
def test_a_wrong_value_is_a_value_error_naming_the_parameter(case):
    cls, name, bad = case
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        cls(**{**REQUIRED.get(cls.__name__, {}), name: bad})


def test_bad_values_cover_every_kind_of_value_rule():
    kinds = {type(r).__name__ for _, p, _ in BAD for r in [None]} | {
        type(r).__name__ for c, p in CASES for r in v.declared_rules(c)[p] if r and r.bad_values()
    }
    assert {"Interval", "Options", "Lookup", "UnitPair"} <= kinds
    assert len(BAD) >= 60


# ---------------------------------------------------------------- the rules themselves
@pytest.mark.parametrize(
    "rule, good, bad",
    [
        (v.Interval(numbers.Real, 0, 1, closed="left"), [0, 0.5, np.float32(0.99)], [1, -0.1]),
        (v.Interval(numbers.Real, 0, 1, closed="right"), [1, 1e-9], [0, 1.5]),
        (v.Interval(numbers.Real, 0, 1, closed="both"), [0, 1], [-1e-9, 1 + 1e-9]),
        (v.Interval(numbers.Real, 0, 1, closed="neither"), [0.5], [0, 1]),
        (v.Interval(numbers.Real, 0, None, closed="left"), [0, 1e300], [-1, math.inf]),
        (v.Interval(numbers.Integral, 1, None), [1, np.int64(7)], [0, -3]),
        (v.Options("min", "max"), ["min", "max"], ["MIN", "auto"]),
    ],
)
def test_a_rule_keeps_what_is_inside_and_refuses_what_is_outside(rule, good, bad):
    for g in good:
        assert rule.check(g, "p") == g
    for b in [*bad, *rule.bad_values()]:
        with pytest.raises(ValueError, match="p must be"):
            rule.check(b, "p")
    assert (
        math.nan in rule.bad_values()
        or not isinstance(rule, v.Interval)
        or (rule.kind is numbers.Integral)
    )


def test_check_param_says_every_allowed_kind_and_lets_none_through():
    rules = [v.POSITIVE_INT, v.Instance(np.random.Generator, what="a Generator"), None]
    assert v.check_param(None, "seed", rules) is None
    assert v.check_param(np.int64(3), "seed", rules) == 3
    assert type(v.check_param(np.int64(3), "seed", rules)) is int
    with pytest.raises(TypeError, match=r"seed must be a positive integer, a Generator or "
                                        r"None, got float 1\.5"):  # fmt: skip
        v.check_param(1.5, "seed", rules)
    with pytest.raises(TypeError, match="flag must be True or False, got int 1"):
        v.check_param(1, "flag", [v.Boolean()])
    with pytest.raises(ValueError, match=r"lr must be a positive number, got -3\b"):
        v.check_param(np.int64(-3), "lr", [v.POSITIVE])
