"""ONNX and PyTorch bridges, checked against the real runtimes (ONNX Runtime, PyTorch)."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest

import layerwise as lw

HIDDEN = ("identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "gelu")
# ONNX Runtime vs NumPy. In float64 its Tanh/Sigmoid/Exp kernels differ from NumPy's by an
# ulp or two, which ten layers amplify to ~1e-12 (measured 1.5e-12 on inputs up to 30).
TOL = {"float32": 1e-5, "float64": 1e-10}


def _every_activation_model(dtype: str, output: str = "softmax", *, seed: int = 0):
    """Dense layers with every hidden activation, a BatchNorm (with non-trivial running
    statistics and affine parameters) and a Dropout, then the output layer."""
    rng = np.random.default_rng(seed)
    layers = [lw.Dense(6, a) for a in HIDDEN]
    layers.insert(3, lw.BatchNorm(activation="tanh", eps=1e-3))
    layers.insert(5, lw.Dropout(0.3))
    layers.append(lw.Dense(3 if output == "softmax" else 2, output))
    model = lw.Sequential(layers, input_dim=4, seed=seed, dtype=dtype)
    for layer in model.layers:
        for name, arr in {**layer.params(), **layer.buffers()}.items():
            if name == "running_var":
                arr[...] = rng.uniform(0.5, 2.0, arr.shape)
            elif name in ("b", "beta", "running_mean", "gamma"):
                arr[...] = rng.normal(0.0, 0.5, arr.shape) + (name == "gamma")
    return model


def _inputs(dtype: str, n: int = 64, seed: int = 1) -> np.ndarray:
    # wide range: reaches the far tails of softplus, elu, gelu and sigmoid
    X = np.random.default_rng(seed).normal(0.0, 1.0, (n, 4)) * np.logspace(-2, 1.5, n)[:, None]
    return X.astype(dtype)


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
    model = _every_activation_model(dtype, output)
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
    X = _inputs(dtype)
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

    X = _inputs("float32", 80)
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


def test_cli_export_writes_a_runnable_graph(tmp_path):
    cli = pytest.importorskip("layerwise.cli")
    model = _every_activation_model("float32")
    lw.save(model, tmp_path / "model.npz")
    saved = next(p for p in tmp_path.iterdir() if p.name.startswith("model"))
    rc = cli.main(["export", str(saved), "--onnx", str(tmp_path / "out.onnx"), "--opset", "20"])
    assert rc == 0
    X = _inputs("float32")
    np.testing.assert_allclose(_run_onnx(tmp_path / "out.onnx", X), model.predict(X), atol=1e-5)


def test_missing_onnx_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r"pip install 'layerwise\[onnx\]'"):
        lw.export.to_onnx(lw.mlp(2, [3], 1), tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


# ------------------------------------------------------------------------------- PyTorch
torch = pytest.importorskip("torch")
nn = torch.nn


def _torch_out(module, X):
    with torch.no_grad():
        return module(torch.from_numpy(X)).numpy()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("output", ["softmax", "sigmoid", "identity"])
def test_to_torch_and_back(dtype, output):
    model = _every_activation_model(dtype, output)
    module = lw.export.to_torch(model)
    assert not module.training
    assert all(p.dtype == getattr(torch, dtype) for p in module.parameters())
    linears = [m for m in module if isinstance(m, nn.Linear)]
    dense = [layer for layer in model.layers if isinstance(layer, lw.Dense)]
    assert len(linears) == len(dense)
    for lin, layer in zip(linears, dense):
        np.testing.assert_array_equal(lin.weight.detach().numpy(), layer.W.T)
        np.testing.assert_array_equal(lin.bias.detach().numpy(), layer.b)
    X = _inputs(dtype)
    tol = 1e-6 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(_torch_out(module, X), model.predict(X), rtol=tol, atol=tol)

    back = lw.export.from_torch(module)
    assert back.dtype == model.dtype
    assert [type(l).__name__ for l in back.layers] == [type(l).__name__ for l in model.layers]
    for a, b in zip(model.layers, back.layers):
        assert getattr(a, "activation", None) == getattr(b, "activation", None)
        for (ka, va), (kb, vb) in zip(
            {**a.params(), **a.buffers()}.items(), {**b.params(), **b.buffers()}.items()
        ):
            assert ka == kb and va.dtype == vb.dtype
            np.testing.assert_array_equal(va, vb)
    np.testing.assert_allclose(back.predict(X), model.predict(X), rtol=tol, atol=tol)


def test_from_torch_module_built_and_trained_in_torch():
    torch.manual_seed(0)
    module = nn.Sequential(
        nn.Linear(5, 8, bias=False),
        nn.GELU(),
        nn.Sequential(nn.Linear(8, 8), nn.BatchNorm1d(8), nn.ELU()),
        nn.Dropout(0.2),
        nn.Identity(),
        nn.Linear(8, 6),
        nn.Softplus(),
        nn.Linear(6, 4),
        nn.Softmax(dim=1),
    ).double()
    opt = torch.optim.SGD(module.parameters(), lr=0.1)
    X = torch.randn(32, 5, dtype=torch.float64)
    for _ in range(5):  # moves the BatchNorm running statistics and every weight
        opt.zero_grad()
        module(X).log().sum().neg().backward()
        opt.step()
    module.eval()
    model = lw.export.from_torch(module, seed=0)
    assert model.dtype == np.float64
    assert [type(l).__name__ for l in model.layers] == [
        "Dense", "Dense", "BatchNorm", "Dropout", "Dense", "Dense",
    ]  # fmt: skip
    np.testing.assert_array_equal(model.layers[0].b, 0.0)
    Xn = X.numpy() * 3
    np.testing.assert_allclose(model.predict(Xn), _torch_out(module, Xn), rtol=1e-12, atol=1e-12)


def test_softplus_threshold():
    """PyTorch's Softplus returns x above its threshold (20); to_torch raises it to 40 for
    float64, where log1p(e^-x) is below the resolution; from_torch refuses a low one."""
    for dtype in ("float32", "float64"):
        model = lw.Sequential([lw.Dense(1, "softplus")], input_dim=1, dtype=dtype)
        model.layers[0].W[...], model.layers[0].b[...] = 1.0, 0.0
        X = np.linspace(-50, 60, 221, dtype=dtype)[:, None]
        tol = TOL[dtype] if dtype == "float32" else 1e-15
        out = _torch_out(lw.export.to_torch(model), X)
        np.testing.assert_allclose(out, model.predict(X), rtol=tol, atol=tol)
    with pytest.raises(ValueError, match="threshold"):
        lw.export.from_torch(nn.Sequential(nn.Linear(2, 2), nn.Softplus(threshold=10)))


@pytest.mark.parametrize(
    "module, error, match",
    [
        (nn.Sequential(nn.Linear(2, 3), nn.Conv1d(1, 1, 1)), TypeError, "Conv1d"),
        (nn.Sequential(nn.Linear(2, 3), nn.SiLU()), TypeError, "SiLU"),
        (nn.Sequential(nn.Linear(2, 3), nn.LeakyReLU(0.2)), ValueError, "LeakyReLU"),
        (nn.Sequential(nn.Linear(2, 3), nn.ELU(alpha=0.5)), ValueError, "ELU"),
        (nn.Sequential(nn.Linear(2, 3), nn.Softplus(beta=2)), ValueError, "beta"),
        (nn.Sequential(nn.Linear(2, 3), nn.GELU("tanh")), ValueError, "approximate"),
        (nn.Sequential(nn.Linear(2, 3), nn.Softmax(dim=0)), ValueError, "dim"),
        (nn.Sequential(nn.ReLU(), nn.Linear(2, 3)), ValueError, "must follow"),
        (nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Tanh()), ValueError, "must follow"),
        (nn.Sequential(nn.Linear(2, 3), nn.Linear(4, 1)), ValueError, "in_features=4"),
        (nn.Sequential(nn.Linear(2, 3).half()), ValueError, "float16"),
        (nn.Linear(2, 3), TypeError, "nn.Sequential"),
    ],
)
def test_from_torch_refuses_with_a_named_reason(module, error, match):
    with pytest.raises(error, match=match):
        lw.export.from_torch(module)


def test_missing_torch_names_the_extra(monkeypatch):
    model = lw.mlp(2, [3], 1)
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ImportError, match=r"pip install 'layerwise\[torch\]'"):
        lw.export.to_torch(model)
    with pytest.raises(ImportError, match=r"pip install 'layerwise\[torch\]'"):
        lw.export.from_torch(object())
