"""layerwise.estimators._net: an estimator's network is a layerwise Sequential over its
``coefs_``/``intercepts_``, open to surgery.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import layerwise as lw

pytest.importorskip("sklearn")

from sklearn.datasets import load_iris  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402


def test_model_is_the_network_and_open_to_surgery():
    X, y = load_iris(return_X_y=True)
    clf = lw.MLPClassifier((6,), solver="sgd", random_state=0, max_iter=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    net = clf.model_
    assert isinstance(net, lw.Sequential)
    assert net.layers[0].W is clf.coefs_[0] and net.layers[-1].b is clf.intercepts_[-1]
    np.testing.assert_allclose(net.predict(X), clf.predict_proba(X), rtol=1e-12)
    before = clf.predict_proba(X)
    net.widen(0, 10)  # function-preserving: same predictions, wider network
    assert clf.coefs_[0].shape == (4, 10) and clf.coefs_[1].shape == (10, 3)
    np.testing.assert_allclose(clf.predict_proba(X), before, rtol=1e-10, atol=1e-12)
    clf.partial_fit(X, y)
    assert clf.model_.layers[0].W.shape == (4, 10)
    net.widen(0, 12)  # then a fresh fit (no warm_start) builds the network of the parameters
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    assert [W.shape for W in clf.coefs_] == [(4, 6), (6, 3)]
    assert clf.model_.layers[0].W is clf.coefs_[0]
