"""layerwise.estimators._checks: what the estimators check before a fit changes anything.
Their parameters are checked as scikit-learn checks its MLPs' (the same values refused with
the same messages; scikit-learn's own constraints the oracle), with layerwise's names of
activations and solvers and its three parameters added; ``sample_weight`` is refused where
scikit-learn's ``_check_sample_weight`` refuses it and otherwise has its values, in X's dtype
(a single number too: it was once spread over the samples unchecked).
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import layerwise as lw

pytest.importorskip("sklearn")

from sklearn import neural_network  # noqa: E402
from sklearn.utils._param_validation import InvalidParameterError  # noqa: E402
from sklearn.utils.validation import _check_sample_weight  # noqa: E402

from layerwise.estimators._checks import ACTIVATIONS, STOCHASTIC, check_sample_weight  # noqa: E402

KINDS = ["MLPClassifier", "MLPRegressor"]

# for each of scikit-learn's parameters, values on both sides of its constraints
VALUES = {
    "hidden_layer_sizes": [1, 0, -3, 2.5, (5, 3), [4], "10"],
    "alpha": [0.0, 1e-4, -1.0, "0.1"],
    "batch_size": ["auto", 1, 0, 2.5, "all"],
    "learning_rate": ["constant", "invscaling", "adaptive", "optimal", 0.01],
    "learning_rate_init": [1e-3, 0.0, -1.0],
    "power_t": [0.0, 0.5, -0.5],
    "max_iter": [1, 0, 2.0, "many"],
    "shuffle": [True, np.bool_(False), 1, "yes"],
    "random_state": [None, 0, np.random.RandomState(0), -1, "seed"],
    "tol": [0.0, -1e-4],
    "verbose": [False, 2, "loud"],
    "warm_start": [True, None],
    "momentum": [0.0, 1.0, -0.1, 1.1],
    "nesterovs_momentum": [False, "no"],
    "early_stopping": [True, 0],
    "validation_fraction": [0.0, 0.5, 1.0],
    "beta_1": [0.0, 0.9, 1.0],
    "beta_2": [0.999, 1.0],
    "epsilon": [1e-8, 0.0],
    "n_iter_no_change": [1, np.inf, 0, 2.5, -np.inf],
    "max_fun": [1, 0],
}


def _outcome(estimator) -> str:
    """The refusal of the estimator's parameters by scikit-learn's ``_validate_params``
    (which reads ``_parameter_constraints``) with its message, the options of a set in
    sorted order (a set prints in an order that varies from set to set); else "ok"."""
    try:
        estimator._validate_params()
    except InvalidParameterError as exc:
        sort = lambda m: "{" + ", ".join(sorted(m[1].split(", "))) + "}"  # noqa: E731
        message = re.sub(r"\{([^{}]*)\}", sort, str(exc))
        return f"{type(exc).__name__}: {message}"
    return "ok"


@pytest.mark.parametrize("kind", KINDS)
def test_sklearns_parameters_are_refused_as_sklearn_refuses_them(kind):
    ours, theirs = getattr(lw, kind), getattr(neural_network, kind)
    own = {"activation", "solver"}  # more names than scikit-learn's: checked below
    assert set(VALUES) | own | {"loss"} >= set(theirs._parameter_constraints)
    for name, values in VALUES.items():
        outcomes = []
        for value in values:
            got = _outcome(ours().set_params(**{name: value}))
            assert got == _outcome(theirs().set_params(**{name: value})), (name, value)
            outcomes.append(got)
        # each parameter is seen taking a value and refusing one
        assert "ok" in outcomes and any(o != "ok" for o in outcomes), name


@pytest.mark.parametrize("kind", KINDS)
def test_activation_and_solver_take_sklearns_names_and_layerwise_ones(kind):
    ours, theirs = getattr(lw, kind), getattr(neural_network, kind)
    sklearn_activations = theirs._parameter_constraints["activation"][0].options
    sklearn_solvers = theirs._parameter_constraints["solver"][0].options
    # scikit-learn's four, and layerwise's hidden activations (its "sigmoid" is "logistic")
    assert ACTIVATIONS == set(sklearn_activations) | set(lw.activations.names()) - {"softmax"}
    for name in sorted(ACTIVATIONS):
        assert _outcome(ours(activation=name)) == "ok", name
    for name in ("softmax", "swish", "Relu"):  # softmax: the output layer's only
        assert _outcome(ours(activation=name)).startswith(
            f"InvalidParameterError: The 'activation' parameter of {kind} must be a str among"
        ), name
    # scikit-learn's three, and layerwise's optimizers: all but lbfgs stochastic
    assert set(sklearn_solvers) - {"lbfgs"} <= set(STOCHASTIC)
    assert {"adamw", "rmsprop", "adagrad", "momentum", "nesterov"} <= set(STOCHASTIC)
    assert "lbfgs" not in STOCHASTIC
    for name in ("lbfgs", *STOCHASTIC):
        assert _outcome(ours(solver=name)) == "ok", name
    assert f"{kind} must be a str among" in _outcome(ours(solver="newton"))
    assert f"{kind} must be a str among" in _outcome(ours(solver="SGD"))


@pytest.mark.parametrize("kind", KINDS)
def test_layerwise_parameters_are_constrained(kind):
    est = getattr(lw, kind)
    of = f"InvalidParameterError: The '{{}}' parameter of {kind} must be"
    for value in (0.0, 0.5, np.float32(0.999)):
        assert _outcome(est(dropout=value)) == "ok"
    for value in (1.0, -0.1):
        assert _outcome(est(dropout=value)) == (
            f"{of.format('dropout')} a float in the range [0.0, 1.0). Got {value!r} instead."
        )
    for value in (None, "float32", "float64", np.float32):  # a type: checked by fit
        assert _outcome(est(dtype=value)) == "ok"
    for value in ("float16", 32):
        assert _outcome(est(dtype=value)).startswith(of.format("dtype")), value
    for value in (None, lw.schedules.StepLR(2), lw.schedules.ReduceLROnPlateau("loss")):
        assert _outcome(est(schedule=value)) == "ok"
    assert _outcome(est(schedule="step")) == (
        f"{of.format('schedule')} None or an instance of "
        "'layerwise.training.schedules.Schedule'. Got 'step' instead."
    )


def test_bad_parameters_name_the_parameter_and_value():
    X, y = np.zeros((4, 2)), np.arange(4.0)
    for params, match in [
        (dict(alpha=-1.0), r"'alpha' parameter .* Got -1.0"),
        (dict(solver="newton"), r"'solver' parameter .*'lbfgs'.* Got 'newton'"),
        (dict(learning_rate=0.01), r"'learning_rate' parameter .*'constant'"),
        (dict(max_iter=0), r"'max_iter' parameter .* Got 0"),
    ]:
        with pytest.raises(ValueError, match=match):
            lw.MLPRegressor(**params).fit(X, y)
    with pytest.raises(TypeError, match="'max_iter' parameter"):
        lw.MLPRegressor(max_iter="many").fit(X, y)


# ---------------------------------------------------------------------------------------
# check_sample_weight


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "weights",
    [2, 2.5, np.float32(0.5), [1, 2, 3], (0, 1, 0), np.array([1, 2, 3], np.int64),
     np.array([0.5, 1.0, 2.0]), np.array([1e-3, 7.0, 0.0], np.float32)],
)  # fmt: skip
def test_sample_weight_has_sklearns_values_in_the_dtype_of_x(weights, dtype):
    X = np.zeros((3, 2), dtype=dtype)
    got = check_sample_weight(weights, X)
    assert got.dtype == dtype and got.shape == (3,)
    expected = _check_sample_weight(weights, X, ensure_non_negative=True)
    np.testing.assert_array_equal(got, expected.astype(dtype))


def test_no_sample_weight_is_none():
    assert check_sample_weight(None, np.zeros((3, 2))) is None


@pytest.mark.parametrize(
    "weights, match",
    [
        ([1, 2], r"shape \(3,\), one weight per sample of X, got shape \(2,\)"),
        ([[1], [2], [3]], r"shape \(3,\), one weight per sample of X, got shape \(3, 1\)"),
        (np.ones(6), r"got shape \(6,\)"),
        (5 * [1.0], r"got shape \(5,\)"),
        ([1, np.nan, 2], "finite, non-negative"),
        ([1, np.inf, 2], "finite, non-negative"),
        ([1, -1, 2], "finite, non-negative"),
        ([0, 0, 0], "at least one non-zero number; all of sample_weight is 0"),
    ],
)
def test_sample_weight_is_refused_where_sklearn_refuses_it(weights, match):
    X = np.zeros((3, 2))
    with pytest.raises(ValueError):  # the oracle
        _check_sample_weight(weights, X, ensure_non_negative=True)
    with pytest.raises(ValueError, match=match):
        check_sample_weight(weights, X)


@pytest.mark.parametrize("weight", [0, -1.0])
def test_a_single_number_is_refused_where_sklearn_refuses_it(weight):
    X = np.zeros((3, 2))
    with pytest.raises(ValueError):  # the oracle
        _check_sample_weight(weight, X, ensure_non_negative=True)
    with pytest.raises(ValueError, match="sample_weight"):
        check_sample_weight(weight, X)


def test_a_single_nan_weight_is_refused_where_sklearn_takes_it():
    # scikit-learn spreads a NaN weight over the samples (its loss is then NaN, silently);
    # here it is refused like a NaN in an array of weights
    X = np.zeros((3, 2))
    assert np.isnan(_check_sample_weight(np.nan, X, ensure_non_negative=True)).all()
    with pytest.raises(ValueError, match="sample_weight must hold finite, non-negative"):
        check_sample_weight(np.nan, X)
    with pytest.raises(ValueError, match="sample_weight must hold finite, non-negative"):
        lw.MLPClassifier(max_iter=1).fit(np.eye(3), [0, 1, 0], sample_weight=np.nan)


def test_the_estimators_refuse_sample_weight_before_they_fit():
    X, y = np.random.default_rng(0).normal(size=(6, 2)), np.arange(6) % 2
    clf = lw.MLPClassifier((3,), solver="lbfgs", max_iter=5)
    # scikit-learn's check_all_zero_sample_weights_error looks for these words
    with pytest.raises(ValueError, match=r"(.*weight.*zero.*)|(.*zero.*weight.*)"):
        clf.fit(X, y, sample_weight=np.zeros(6))
    with pytest.raises(ValueError, match="finite, non-negative"):
        clf.fit(X, y, sample_weight=[1, 1, -1, 1, 1, 1])
    assert not hasattr(clf, "coefs_")  # nothing was fitted
