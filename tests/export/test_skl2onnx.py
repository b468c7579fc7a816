"""layerwise.export._skl2onnx: skl2onnx's own ``to_onnx`` converts a Pipeline holding our
estimators; ONNX Runtime gives its predict_proba and predict.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import layerwise as lw


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_skl2onnx_converts_a_pipeline_with_our_estimators(dtype):
    """skl2onnx's own to_onnx on Pipeline(StandardScaler, lw.MLPClassifier): the scaler is
    in the graph, and ONNX Runtime gives predict_proba and predict (wine, 3 classes)."""
    skl2onnx = pytest.importorskip("skl2onnx")
    ort = pytest.importorskip("onnxruntime")
    from sklearn.datasets import load_wine
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_wine(return_X_y=True)
    X = X.astype(dtype)
    pipe = make_pipeline(StandardScaler(), lw.MLPClassifier(random_state=0))
    reg = make_pipeline(StandardScaler(), lw.MLPRegressor(hidden_layer_sizes=(8,), random_state=0))
    Y = np.column_stack([X[:, 0], X[:, 1]])  # two targets
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipe.fit(X, y)
        reg.fit(X[:, 2:], Y)
    assert pipe.score(X, y) == 1.0
    onx = skl2onnx.to_onnx(pipe, X[:1], options={"zipmap": False})
    session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    labels, proba = session.run(None, {session.get_inputs()[0].name: X})
    np.testing.assert_allclose(proba, pipe.predict_proba(X), atol=1e-5, rtol=0)
    np.testing.assert_array_equal(labels, pipe.predict(X))
    onx = skl2onnx.to_onnx(reg, X[:1, 2:])
    session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    out = session.run(None, {session.get_inputs()[0].name: X[:, 2:]})[0]
    np.testing.assert_allclose(out, reg.predict(X[:, 2:]), rtol=1e-5, atol=1e-5)
