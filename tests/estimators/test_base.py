"""The estimators under scikit-learn's array API dispatch, checked by scikit-learn itself.

``MLPClassifier`` / ``MLPRegressor`` declare ``array_api_support`` in their tags; with
``sklearn.set_config(array_api_dispatch=True)`` they take PyTorch (and array_api_strict,
CuPy where installed) arrays and return that library's arrays on the same device. Every
check scikit-learn yields for such an estimator (``_yield_array_api_checks``: same
namespace and device, values equal to the NumPy fit, mixed y/sample_weight namespaces, a
predict on another namespace refused) runs in tests/test_estimators.py with the other
estimator checks, for each installed library; this module checks the behaviour a user sees.
scikit-learn needs ``SCIPY_ARRAY_API=1`` set before SciPy is imported: a fresh process.
Without the setting the estimators behave exactly as before: the rest of the suite
(scikit-learn's own MLP tests and checks, tests/test_sklearn_suite.py) holds that.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("torch")
pytest.importorskip("array_api_strict")

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
    env = {**os.environ, "SCIPY_ARRAY_API": "1"}
    out = subprocess.run([sys.executable, "-c", DISPATCH], env=env, capture_output=True,
                         text=True, timeout=300)  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    got = json.loads(out.stdout.splitlines()[-1])
    assert got["types"] == ["Tensor", "Tensor"]
    assert got["proba_equal"] and got["labels_equal"]  # NumPy inside: the same bits
    assert "MLPClassifier.predict() must use the same namespace" in got["refused"]
    assert got["plain"] == "ndarray"
