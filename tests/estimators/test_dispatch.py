"""layerwise.estimators._dispatch: the estimators under scikit-learn's array API dispatch.

With ``sklearn.set_config(array_api_dispatch=True)`` they take PyTorch (and array_api_strict,
CuPy where installed) arrays and return that library's arrays on the same device: ``fit``
converts its inputs to NumPy (``dispatched``), each prediction method converts at its edge
(``at_the_edge``). Every check scikit-learn yields for such an estimator runs in
tests/estimators/test_mlp.py with the other estimator checks, for each installed library;
this module checks the behaviour a user sees, a whole fit in a fresh process (scikit-learn
needs ``SCIPY_ARRAY_API=1`` set before SciPy is imported), and the two functions in this one
(scikit-learn reads that variable only when dispatch is turned on; nothing here calls SciPy).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

pytest.importorskip("sklearn")

import sklearn  # noqa: E402

from layerwise._internal import array_api as _aa  # noqa: E402
from layerwise.estimators._dispatch import at_the_edge, dispatched  # noqa: E402

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


# ---------------------------------------------------------------------------------------
# dispatched and at_the_edge, in this process


@pytest.fixture
def dispatch(monkeypatch):
    """A context manager that turns scikit-learn's array API dispatch on."""
    monkeypatch.setenv("SCIPY_ARRAY_API", "1")  # read by set_config, when turned on
    return lambda: sklearn.config_context(array_api_dispatch=True)


@pytest.fixture(params=["array_api_strict", "torch"])
def xp(request):
    """An array library other than NumPy."""
    return pytest.importorskip(request.param)


class _Fitted:
    """What ``fit`` leaves for ``at_the_edge``: ``_array_like``, an empty array of the
    library and device of the data it was given (absent after a NumPy fit). Its methods
    record the X they are handed."""

    def __init__(self, fitted_on=None):
        if fitted_on is not None:
            self._array_like = _aa.convert(np.empty(0), fitted_on)
        self.seen = []

    @at_the_edge
    def predict(self, X, scale=1.0):
        """Twice X, times scale."""
        self.seen.append(X)
        return 2.0 * scale * X

    @at_the_edge
    def classes(self, X):
        self.seen.append(X)
        return np.where(X[:, 0] > 0, 1, 0), np.where(X[:, 0] > 0, "pos", "neg")

    @at_the_edge
    def argmax(self, X):
        self.seen.append(X)
        return np.argmax(X, axis=1)

    @at_the_edge
    def names(self, X):
        self.seen.append(X)
        return np.where(X[:, 0] > 0, "pos", "neg")


X_NP = np.array([[1.5, -2.0], [-0.25, 4.0], [3.0, 0.5]])


def test_dispatched_is_x_only_for_an_array_of_another_library_with_dispatch_on(xp, dispatch):
    X = xp.asarray(X_NP)
    assert dispatched(X) is None  # dispatch is off by default
    with dispatch():
        assert dispatched(X) is X
        assert dispatched(X_NP) is None and dispatched(X_NP.tolist()) is None
    assert dispatched(X) is None  # and off again


def test_with_dispatch_off_a_method_runs_as_written(xp):
    est = _Fitted(fitted_on=xp.asarray(X_NP))  # even after a fit on another library
    out = est.predict(X_NP, scale=0.5)
    assert est.seen[0] is X_NP
    np.testing.assert_array_equal(out, X_NP)
    assert type(out) is np.ndarray


def test_fitted_on_numpy_it_takes_numpy_and_refuses_another_library(xp, dispatch):
    est = _Fitted()
    X = xp.asarray(X_NP)
    with dispatch():
        out = est.predict(X_NP)
        assert est.seen == [X_NP] and est.seen[0] is X_NP  # NumPy in, untouched
        np.testing.assert_array_equal(out, 2.0 * X_NP)
        with pytest.raises(ValueError) as refused:
            est.predict(X)
    assert est.seen == [X_NP]  # refused before the method ran
    # the words scikit-learn's own checks and searches look for (check_same_namespace's)
    assert str(refused.value) == (
        "Inputs passed to _Fitted.predict() must use the same namespace and the same device "
        f"as those passed to fit(): fit got numpy, this call {_aa.describe(X)}"
    )


def test_fitted_on_another_library_numpy_inside_that_library_outside(xp, dispatch):
    X = xp.asarray(X_NP)
    est = _Fitted(fitted_on=X)
    with dispatch():
        out = est.predict(X, scale=3.0)
        argmax = est.argmax(X)
        names = est.names(X)
    # the method worked on NumPy: X converted on the way in
    assert all(type(seen) is np.ndarray for seen in est.seen)
    np.testing.assert_array_equal(est.seen[0], X_NP)
    # numbers go back to X's library and device, with the method's dtype
    assert _aa.same_place(out, X) and _aa.same_place(argmax, X)
    np.testing.assert_array_equal(_aa.to_numpy(out), 6.0 * X_NP)
    np.testing.assert_array_equal(_aa.to_numpy(argmax), [0, 1, 0])
    assert _aa.to_numpy(argmax).dtype == np.argmax(X_NP, axis=1).dtype
    # strings have no array of X's library: they stay NumPy, as the method returned them
    assert type(names) is np.ndarray and names.tolist() == ["pos", "neg", "pos"]
    # what is not an array (a tuple of them) comes back as the method returned it
    with dispatch():
        pair = est.classes(X)
    assert type(pair) is tuple and [type(a) for a in pair] == [np.ndarray, np.ndarray]
    assert est.predict.__name__ == "predict" and est.predict.__doc__ == "Twice X, times scale."


def test_fitted_on_another_library_it_refuses_numpy_and_another_device(dispatch):
    xps = pytest.importorskip("array_api_strict")
    X = xps.asarray(X_NP)  # on array_api_strict's CPU_DEVICE
    elsewhere = xps.asarray(X_NP, device=xps.Device("device1"))
    est = _Fitted(fitted_on=X)
    with dispatch():
        for other in (X_NP, elsewhere):
            with pytest.raises(ValueError) as refused:
                est.predict(other)
            assert str(refused.value) == (
                "Inputs passed to _Fitted.predict() must use the same namespace and the same "
                f"device as those passed to fit(): fit got {_aa.describe(X)}, this call "
                f"{_aa.describe(other)}"
            )
    assert est.seen == []
