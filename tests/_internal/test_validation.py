"""layerwise._internal.validation: the checks at the public boundary.

Bad input gets a ValueError/TypeError naming the argument, the value and the fix, never a
NumPy traceback, a warning or a silent NaN. One test per kind of mistake. (The declared
parameter rules, walked over every public constructor: tests/_internal/test_rules.py.)
"""

from __future__ import annotations

import numpy as np
import pytest

import layerwise as lw
from tests.helpers import X4, binary, fit

# ================================================================ moved from test_bad_input
# The tests of this block came from tests/test_bad_input.py when tests/ was laid out after
# the package; tests written for this module itself follow the end of the block.


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
