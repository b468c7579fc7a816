"""layerwise._internal.validation and .rules: the checks at the public boundary.

Bad input gets a ValueError/TypeError naming the argument, the value and the fix, never a
NumPy traceback, a warning or a silent NaN. The declared parameter rules are walked over
every public constructor: a value of a type no rule accepts is a TypeError, a value of an
accepted type that breaks its rule a ValueError, and both name the parameter. The wrong
values come from the declarations themselves (``Rule.bad_values``), so a rule added later
is tested too; a public class whose parameters are not all declared fails.
"""

from __future__ import annotations

import importlib
import inspect
import math
import numbers

import numpy as np
import pytest

import layerwise as lw
from layerwise._internal import validation as v

# ================================================================ moved from test_bad_input
# The tests of this block came from tests/test_bad_input.py when tests/ was laid out after
# the package; tests written for this module itself follow the end of the block.

X4 = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])


Y4 = np.array([0, 1, 1, 0])


def binary(**kwargs):
    return lw.mlp(2, [3], 1, output_activation="sigmoid", seed=0, **kwargs)


def fit(model, X=X4, y=Y4, loss="bce", **kwargs):
    kwargs.setdefault("epochs", 1)
    return model.fit(X, y, loss=loss, verbose=False, **kwargs)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_or_inf_in_X(bad):
    X = X4.copy()
    X[2, 1] = bad
    for call in (lambda: fit(binary(), X), lambda: binary().predict(X)):
        with pytest.raises(ValueError, match=r"X contains NaN or infinity \(first at row 2, col"):
            call()


def test_X_too_large_for_float32():
    with pytest.raises(ValueError, match="X has values too large for float32.*dtype='float64'"):
        binary().predict([[1e39, 0.0]])
    assert np.isfinite(binary(dtype="float64").predict([[1e39, 0.0]])).all()


@pytest.mark.parametrize(
    "X,fragment",
    [
        (np.zeros(4), r"got shape \(4,\); for one feature use X.reshape\(-1, 1\)"),
        (np.zeros((2, 2, 2)), r"got shape \(2, 2, 2\)"),
        (3.0, r"got shape \(\)"),
    ],
)
def test_X_not_2d(X, fragment):
    with pytest.raises(ValueError, match=r"X must be 2-D \(n_samples, n_features\), " + fragment):
        binary().predict(X)


def test_ragged_X():
    with pytest.raises(ValueError, match="X could not be read as an array"):
        binary().predict([[1.0, 2.0], [3.0]])


@pytest.mark.parametrize("X", [[["a", "b"]], np.array([[1, None]], dtype=object)])
def test_strings_in_X(X):
    with pytest.raises(TypeError, match="X must be numeric.*convert or encode them as numbers"):
        binary().predict(X)


def test_complex_X():
    with pytest.raises(TypeError, match="X must be numeric, got an array of dtype complex128"):
        binary().predict(np.zeros((2, 2), dtype=complex))


@pytest.mark.parametrize("shape", [(0, 2), (3, 0)])
def test_empty_X(shape):
    with pytest.raises(ValueError, match=r"X is empty \(shape \(\d, \d\)\); give at least one"):
        binary().predict(np.zeros(shape))
    with pytest.raises(ValueError, match="X is empty"):
        fit(binary(), np.zeros(shape), np.zeros(shape[0]))


def test_wrong_feature_count():
    with pytest.raises(ValueError, match="X has 3 features but the model expects 2"):
        binary().predict(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="X has 3 features but the model expects 2"):
        fit(binary(), np.zeros((4, 3)))
    with pytest.raises(ValueError, match="X_val has 3 features but the model expects 2"):
        fit(binary(), validation_data=(np.zeros((2, 3)), [0, 1]))


def test_bad_dtype_and_seed():
    with pytest.raises(ValueError, match="dtype must be 'float32' or 'float64', got 'float16'"):
        lw.mlp(2, [3], 1, dtype="float16")
    with pytest.raises(TypeError, match="seed must be an integer >= 0, a numpy Generator or None"):
        lw.mlp(2, [3], 1, seed=1.5)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: lw.Dense(4, l2=-0.1), ValueError, r"l2 must be a number >= 0, got -0.1"),
        (lambda: lw.Dense(4, l2=float("inf")), ValueError, r"l2 must be a number >= 0"),
        (lambda: lw.Dense(4, l2="big"), TypeError, r"l2 must be a number >= 0, got str"),
        (lambda: lw.schedules.StepLR(2, gamma=0), ValueError, r"gamma must be a number in \(0, 1"),
        (lambda: lw.schedules.ReduceLROnPlateau(patience=1.5), TypeError, "patience must be an"),
        (lambda: lw.optimizers.Adam(eps=float("nan")), ValueError, "eps must be a number >= 0"),
    ],
)
def test_hyperparameter_ranges_are_named(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_nullable_pandas_columns_without_missing_values_are_numbers():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    values = rng.integers(-5, 5, size=(20, 2))
    frame = pd.DataFrame({"a": pd.array(values[:, 0], dtype="Int64"),
                          "b": pd.array(values[:, 1].astype(float), dtype="Float64")})  # fmt: skip
    y = pd.Series((values[:, 0] > 0).astype(int), dtype="Int64")
    fitted = []
    for X, target in ((frame, y), (values.astype(float), (values[:, 0] > 0).astype(float))):
        model = lw.mlp(2, [3], 1, output_activation="sigmoid", seed=0)
        model.fit(X, target, loss="bce", epochs=3, verbose=0)
        fitted.append(model.layers[0].W)
    np.testing.assert_array_equal(fitted[0], fitted[1])  # the same numbers as NumPy's
    frame.loc[3, "a"] = pd.NA
    with pytest.raises(ValueError, match="NaN"):
        lw.mlp(2, [3], 1, seed=0).predict(frame)


# ------------------------------------------------------------ the finiteness check itself
def test_all_finite_agrees_with_the_elementwise_check():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from layerwise._internal.validation import all_finite

    specials = st.sampled_from([np.nan, np.inf, -np.inf, 3e38, -3e38, 1e308, 0.0])

    @settings(max_examples=300, deadline=None)
    @given(
        st.sampled_from([np.float32, np.float64]),
        st.integers(1, 40),
        st.lists(st.tuples(st.integers(0, 10**6), specials), max_size=4),
    )
    def check(dtype, n, inserts):
        a = np.random.default_rng(n).standard_normal(n)
        with np.errstate(over="ignore"):
            for i, v in inserts:
                a[i % n] = v
            a = a.astype(dtype)
        assert all_finite(a) == bool(np.isfinite(a).all())

    check()
    # finite values whose sum overflows: the fast sum says inf, the answer is still True
    assert all_finite(np.full(4, 3e38, np.float32))
    assert not all_finite(np.array([np.inf, -np.inf]))  # a sum of nan, not of inf
    assert all_finite(np.arange(5))  # integers are finite


def test_check_X_tells_too_large_for_float32_from_nan():
    X = np.ones((4, 3))
    X[2, 1] = 1e39
    with pytest.raises(ValueError, match=r"too large for float32 \(first at row 2, column 1\)"):
        lw.mlp(3, [2], 1, seed=0).predict(X)
    X[3, 0] = np.nan
    with pytest.raises(ValueError, match="NaN or infinity"):
        lw.mlp(3, [2], 1, seed=0).predict(X)


# ================================================== every public constructor, walked
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
    rules = v.declared_rules(cls)
    missing = [p for p in _parameters(cls) if p not in rules]
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
