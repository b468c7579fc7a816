"""layerwise.estimators._base: what MLPClassifier and MLPRegressor share. scikit-learn's
own MLPs are the oracle of the initial weights; sample weights equal repeated rows; dtypes,
refused and diverging fits that give the estimator back as it was. Their parameters'
constraints and the check of ``sample_weight`` are in test_checks.py, array API dispatch in
test_dispatch.py.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import layerwise as lw

pytest.importorskip("sklearn")

from sklearn import neural_network  # noqa: E402
from sklearn.datasets import load_iris, make_regression  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402


def _both(kind: str, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return getattr(lw, kind)(**params), getattr(neural_network, kind)(**params)


def _assert_same_weights(ours, theirs, rtol):
    assert len(ours.coefs_) == len(theirs.coefs_)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("activation", ["identity", "logistic", "tanh", "relu"])
def test_same_initial_weights_as_sklearn(activation):
    X, y = load_iris(return_X_y=True)
    params = dict(hidden_layer_sizes=(7, 5), activation=activation, random_state=3)
    ours, theirs = _both("MLPClassifier", **params, solver="sgd", learning_rate_init=1e-12)
    ours.partial_fit(X, y, classes=[0, 1, 2])
    theirs.partial_fit(X, y, classes=[0, 1, 2])
    _assert_same_weights(ours, theirs, rtol=1e-10)


def test_sample_weight_equals_repeated_rows():
    """lbfgs on the full batch: weight 2 is the same objective as the row twice."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(30, 3)), rng.integers(0, 2, 30)
    w = rng.integers(1, 3, 30)
    params = dict(hidden_layer_sizes=(4,), solver="lbfgs", max_iter=30, random_state=0)
    weighted = lw.MLPClassifier(**params)
    repeated = lw.MLPClassifier(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        weighted.fit(X, y, sample_weight=w)
        repeated.fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    np.testing.assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X), rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_follows_the_input_and_dtype_overrides(dtype):
    X, y = make_regression(60, 4, random_state=0)
    reg = lw.MLPRegressor(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X.astype(dtype), y)
        assert {a.dtype for a in reg.coefs_ + reg.intercepts_} == {np.dtype(dtype)}
        assert reg.predict(X.astype(dtype)).dtype == dtype
        other = "float64" if dtype == np.float32 else "float32"
        reg.set_params(dtype=other).fit(X.astype(dtype), y)
    assert {a.dtype for a in reg.coefs_ + reg.intercepts_} == {np.dtype(other)}


def test_refused_fit_leaves_the_fitted_estimator_as_it_was():
    X, y = load_iris(return_X_y=True)
    clf = lw.MLPClassifier((5,), solver="lbfgs", max_iter=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    before = clf.predict_proba(X)
    state = {k: v for k, v in vars(clf).items() if not k.startswith("_")}
    clf.set_params(hidden_layer_sizes=(10**9,))
    with pytest.raises(ValueError, match=r"hidden_layer_sizes=\(1000000000,\)"):
        clf.fit(X, y)
    clf.set_params(hidden_layer_sizes=(5,), early_stopping=True, validation_fraction=0.01)
    with pytest.raises(ValueError, match="validation set is too small"):
        clf.set_params(solver="adam").fit(X[:20], y[:20])
    assert {k: v for k, v in vars(clf).items() if not k.startswith("_")}.keys() == state.keys()
    np.testing.assert_array_equal(clf.predict_proba(X), before)
    assert clf.n_iter_ == state["n_iter_"]


def test_a_fit_that_diverges_gives_the_estimator_back_as_it_was():
    rng = np.random.RandomState(0)
    X, y = rng.uniform(size=(10, 2)), rng.standard_normal(10)
    reg = lw.MLPRegressor(hidden_layer_sizes=(4,), solver="lbfgs", max_iter=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, y)
    before, n_iter = reg.predict(X), reg.n_iter_
    huge = np.finfo(np.float64).max * X  # sklearn's test_nonfinite_params data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # overflow in the forward step
        with pytest.raises(ValueError, match="non-finite parameter weights"):
            reg.set_params(solver="adam").fit(huge, y)
    np.testing.assert_array_equal(reg.predict(X), before)
    assert reg.n_iter_ == n_iter and np.isfinite(reg.coefs_[0]).all()


def test_a_failed_warm_start_restores_the_arrays_it_trained_in_place():
    # warm_start trains coefs_ in place, here an array assigned by hand (not yet bound to
    # the network): the failed fit copies its values back into that very array
    rng = np.random.RandomState(0)
    X, y = rng.uniform(size=(10, 2)), rng.standard_normal(10)
    reg = lw.MLPRegressor(
        hidden_layer_sizes=(4,), solver="adam", max_iter=5, random_state=0, warm_start=True
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, y)
    W = rng.standard_normal(reg.coefs_[0].shape)
    reg.coefs_[0] = W
    saved, before = W.copy(), reg.predict(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # overflow in the forward step
        with pytest.raises(ValueError, match="non-finite parameter weights"):
            reg.fit(np.finfo(np.float64).max * X, y)
    assert reg.coefs_[0] is W
    np.testing.assert_array_equal(W, saved)
    np.testing.assert_array_equal(reg.predict(X), before)
