"""layerwise.export.onnx: the exported graph in ONNX Runtime gives ``predict``'s numbers,
for every activation, BatchNorm and Dropout, three opsets and both dtypes; a fitted
estimator exports; the write is atomic and errors are named.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import layerwise as lw
from tests.export.helpers import every_activation_model, inputs

# ONNX Runtime vs NumPy. In float64 its Tanh/Sigmoid/Exp kernels differ from NumPy's by an
# ulp or two, which ten layers amplify to ~1e-12 (measured 1.5e-12 on inputs up to 30).
TOL = {"float32": 1e-5, "float64": 1e-10}


# ---------------------------------------------------------------------------------- ONNX
onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


def _run_onnx(path, X):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": X})[0]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("opset", [13, 17, 20])
@pytest.mark.parametrize("output", ["softmax", "sigmoid", "identity"])
def test_onnx_runtime_matches_predict(tmp_path, dtype, opset, output):
    model = every_activation_model(dtype, output)
    path = tmp_path / "model.onnx"
    proto = lw.export.to_onnx(model, path, opset=opset)
    loaded = onnx.load(str(path))
    onnx.checker.check_model(loaded, full_check=True)
    assert loaded.SerializeToString() == proto.SerializeToString()
    assert loaded.opset_import[0].version == opset
    ops = {n.op_type for n in loaded.graph.node}
    assert "Gemm" in ops and "BatchNormalization" in ops and "Dropout" not in ops
    if dtype == "float32":
        expected_ops = {"Relu", "Sigmoid", "Tanh", "LeakyRelu", "Elu", "Softplus"}
        assert expected_ops <= ops
        assert ("Gelu" in ops) == (opset >= 20) and ("Erf" in ops) == (opset < 20)
    X = inputs(dtype)
    out = _run_onnx(path, X)
    assert out.dtype == np.dtype(dtype)
    np.testing.assert_allclose(out, model.predict(X), rtol=TOL[dtype], atol=TOL[dtype])


def test_onnx_softplus_does_not_overflow(tmp_path):
    X = np.array([[-200.0], [-20.0], [0.0], [20.0], [89.0], [1000.0]], dtype=np.float32)
    for dtype in ("float32", "float64"):
        m = lw.Sequential([lw.Dense(1, "softplus")], input_dim=1, dtype=dtype)
        m.layers[0].W[...], m.layers[0].b[...] = 1.0, 0.0
        lw.export.to_onnx(m, tmp_path / f"{dtype}.onnx")
        out = _run_onnx(tmp_path / f"{dtype}.onnx", X.astype(dtype))
        exact = np.logaddexp(0.0, X.astype(np.float64))  # log(1 + e^x), without overflow
        np.testing.assert_allclose(out, exact, rtol=TOL[dtype], atol=TOL[dtype])


def test_onnx_of_a_fitted_estimator(tmp_path):
    pytest.importorskip("sklearn")
    from sklearn.exceptions import ConvergenceWarning

    X = inputs("float32", 80)
    y = (X[:, 0] > 0).astype(int)
    clf = lw.MLPClassifier((8,), max_iter=20, random_state=0)
    reg = lw.MLPRegressor(loss="poisson", hidden_layer_sizes=(4,), max_iter=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
        reg.fit(X, np.exp(X[:, 0]))
    lw.export.to_onnx(clf, tmp_path / "clf.onnx")
    p1 = _run_onnx(tmp_path / "clf.onnx", X)[:, 0]
    np.testing.assert_allclose(p1, clf.predict_proba(X)[:, 1], atol=1e-6)
    lw.export.to_onnx(reg, tmp_path / "reg.onnx")  # the Poisson exp output is in the graph
    np.testing.assert_allclose(_run_onnx(tmp_path / "reg.onnx", X)[:, 0], reg.predict(X), rtol=1e-5)


def test_onnx_write_is_atomic_and_errors_are_named(tmp_path):
    path = tmp_path / "model.onnx"
    path.write_bytes(b"previous")

    class Scale(lw.Layer):
        pass

    model = lw.mlp(3, [4], 1, seed=0)
    scale = Scale()
    scale.n_in = 4  # built, as far as the model can tell
    model.layers.insert(1, scale)
    with pytest.raises(TypeError, match="Scale"):
        lw.export.to_onnx(model, path)
    assert path.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx"]
    good = lw.mlp(3, [4], 1, seed=0)
    with pytest.raises(ValueError, match="opset must be between 13"):
        lw.export.to_onnx(good, path, opset=11)
    with pytest.raises(ValueError, match="not built"):
        lw.export.to_onnx(lw.Sequential([lw.Dense(2)]), path)
    with pytest.raises(TypeError, match="Sequential"):
        lw.export.to_onnx("model.npz", path)
    with pytest.raises(FileNotFoundError):
        lw.export.to_onnx(good, tmp_path / "missing" / "m.onnx")
    assert path.read_bytes() == b"previous"
