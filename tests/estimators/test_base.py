"""layerwise.estimators._base: what MLPClassifier and MLPRegressor share. scikit-learn's
own MLPs are the oracle of the initial weights; sample weights equal repeated rows; dtypes,
refused and diverging fits that give the estimator back as it was; and the estimators under
scikit-learn's array API dispatch.

With ``sklearn.set_config(array_api_dispatch=True)`` they take PyTorch (and array_api_strict,
CuPy where installed) arrays and return that library's arrays on the same device. Every
check scikit-learn yields for such an estimator runs in tests/estimators/test_mlp.py with the
other estimator checks, for each installed library; this module checks the behaviour a user
sees. scikit-learn needs ``SCIPY_ARRAY_API=1`` set before SciPy is imported: a fresh process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

import layerwise as lw

pytest.importorskip("sklearn")

from sklearn import neural_network  # noqa: E402
from sklearn.datasets import load_iris, make_regression  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

DISPATCH = textwrap.dedent(
    """
    import json, warnings
    import numpy as np, sklearn, torch
    import layerwise as lw
    warnings.simplefilter("ignore")  # ConvergenceWarning at 40 iterations
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 4))
    y = (X[:, 0] > 0).astype(int)
    ref = lw.MLPClassifier(hidden_layer_sizes=(6,), max_iter=40, random_state=0).fit(X, y)
    with sklearn.config_context(array_api_dispatch=True):
        est = lw.MLPClassifier(hidden_layer_sizes=(6,), max_iter=40, random_state=0)
        est.fit(torch.asarray(X), torch.asarray(y))
        proba = est.predict_proba(torch.asarray(X))
        labels = est.predict(torch.asarray(X))
        try:
            est.predict(X)
            refused = ""
        except ValueError as e:
            refused = str(e)
    print(json.dumps({
        "types": [type(proba).__name__, type(labels).__name__],
        "proba_equal": bool((proba.numpy() == ref.predict_proba(X)).all()),
        "labels_equal": bool((labels.numpy() == ref.predict(X)).all()),
        "refused": refused,
        "plain": type(est.predict(X)).__name__,  # the setting off: NumPy in, NumPy out
    }))
    """
)


def test_dispatch_returns_the_library_of_x_and_equals_the_numpy_fit():
    pytest.importorskip("torch")
    pytest.importorskip("array_api_strict")
    env = {**os.environ, "SCIPY_ARRAY_API": "1"}
    out = subprocess.run([sys.executable, "-c", DISPATCH], env=env, capture_output=True,
                         text=True, timeout=300)  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    got = json.loads(out.stdout.splitlines()[-1])
    assert got["types"] == ["Tensor", "Tensor"]
    assert got["proba_equal"] and got["labels_equal"]  # NumPy inside: the same bits
    assert "MLPClassifier.predict() must use the same namespace" in got["refused"]
    assert got["plain"] == "ndarray"


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
