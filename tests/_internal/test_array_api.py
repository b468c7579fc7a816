"""The one core on every Array API library: NumPy, array_api_strict and PyTorch (CPU).

``array_api_strict`` implements the standard and nothing more: a step that used a NumPy-only
call, flat indexing of a 2-D array or a mixed-kind promotion fails here, so passing on it
proves the core uses only the standard. PyTorch is the library people move to; its autograd
is the gradient oracle. The fits on each library must equal NumPy's within rounding: the
same operations in the same order, so float64 agrees to about 1e-15 relative (bound 1e-12)
and float32 to about 1e-6 (bound 1e-4, after 20 Adam steps).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import layerwise as lw
from layerwise._internal.array_api import array_namespace, to_numpy

torch = pytest.importorskip("torch")
xs = pytest.importorskip("array_api_strict")

LIBRARIES = {
    "numpy": np.asarray,
    "array_api_strict": xs.asarray,
    "torch": torch.asarray,
}
FOREIGN = ["array_api_strict", "torch"]


def _data(n=64, d=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    return X, (X[:, 0] * X[:, 1] > 0) * 1.0, rng.integers(0, 3, n)


def _fit(lib, *, dtype="float64", optimizer="adam", activation="tanh", epochs=5, **kw):
    conv = LIBRARIES[lib]
    X, y, _ = _data()
    model = lw.mlp(3, [6, 4], 1, activation=activation, output_activation="sigmoid",
                   seed=1, dtype=dtype)  # fmt: skip
    history = model.fit(conv(X), conv(y), loss="bce", optimizer=optimizer, lr=0.01,
                        epochs=epochs, batch_size=16, verbose=False, **kw)  # fmt: skip
    return model, history, model.predict(conv(X))


@pytest.mark.parametrize("lib", FOREIGN)
def test_fit_trains_on_the_library_of_the_data_and_predict_returns_it(lib):
    model, history, P = _fit(lib)
    ns = array_namespace(LIBRARIES[lib](np.zeros(1)))
    assert array_namespace(P) is ns and tuple(P.shape) == (64, 1)
    for layer in model.layers:
        assert array_namespace(layer.W) is ns and array_namespace(layer.b) is ns
    for slots in model.optimizer.state.values():
        assert all(array_namespace(v) is ns for k, v in slots.items() if k != "step")


@pytest.mark.parametrize("lib", FOREIGN)
@pytest.mark.parametrize("dtype, bound", [("float64", 1e-12), ("float32", 1e-4)])
@pytest.mark.parametrize("optimizer", ["sgd", "adam", "rmsprop", "adagrad", "nesterov"])
def test_a_fit_equals_numpys_within_rounding(lib, dtype, bound, optimizer):
    ref_model, ref_hist, ref_P = _fit("numpy", dtype=dtype, optimizer=optimizer)
    model, hist, P = _fit(lib, dtype=dtype, optimizer=optimizer)
    np.testing.assert_allclose(hist.loss, ref_hist.loss, rtol=bound)
    np.testing.assert_allclose(to_numpy(P), ref_P, rtol=bound, atol=bound)
    for a, b in zip(model.layers, ref_model.layers):
        np.testing.assert_allclose(to_numpy(a.W), b.W, rtol=bound, atol=bound)
        assert to_numpy(a.W).dtype == np.dtype(dtype)


@pytest.mark.parametrize("lib", FOREIGN)
@pytest.mark.parametrize("activation", sorted(set(lw.activations.names()) - {"softmax"}))
def test_every_activation_runs_on_every_library(lib, activation):
    ref = _fit("numpy", activation=activation, epochs=2)
    got = _fit(lib, activation=activation, epochs=2)
    np.testing.assert_allclose(to_numpy(got[2]), ref[2], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("lib", FOREIGN)
def test_regularisation_layers_and_cce_run_on_every_library(lib):
    conv = LIBRARIES[lib]
    X, _, labels = _data(96)
    out = []
    for c in (np.asarray, conv):
        model = lw.Sequential([lw.Dense(8, "identity"), lw.BatchNorm(activation="relu"),
                               lw.Dropout(0.3), lw.Dense(3, "softmax")],
                              input_dim=3, seed=2, dtype="float64")  # fmt: skip
        model.fit(c(X), c(labels), loss="cce", optimizer="adam", lr=0.01, epochs=3,
                  batch_size=32, validation_split=0.25, verbose=False)  # fmt: skip
        out.append(to_numpy(model.predict(c(X))))
    # BatchNorm's means are reductions that PyTorch sums in another order than NumPy:
    # measured 1e-10 relative after 3 epochs (array_api_strict, on NumPy: equal bits)
    np.testing.assert_allclose(out[1], out[0], rtol=1e-8, atol=1e-12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    widths=st.lists(st.integers(1, 6), min_size=0, max_size=3),
    act=st.sampled_from(sorted(set(lw.activations.names()) - {"softmax"})),
    task=st.sampled_from([("mse", "identity"), ("bce", "sigmoid"), ("cce", "softmax")]),
    seed=st.integers(0, 10_000),
)
def test_gradients_on_torch_tensors_match_torch_autograd(widths, act, task, seed):
    loss, out = task
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((7, 3))
    units = 3 if loss == "cce" else 2
    y = rng.integers(0, units, 7) if loss == "cce" else (rng.random((7, units)) > 0.5) * 1.0
    model = lw.mlp(3, widths, units, activation=act, output_activation=out, seed=seed,
                   dtype="float64").to(torch.zeros(1, dtype=torch.float64))  # fmt: skip
    Xt = torch.asarray(X)
    A, caches = model.forward(Xt)
    grads = model.backward(caches, torch.asarray(y), loss)
    # the oracle: the same numbers, torch's own functions and autograd
    params = [
        (torch.tensor(to_numpy(layer.W), requires_grad=True),
         torch.tensor(to_numpy(layer.b), requires_grad=True))
        for layer in model.layers
    ]  # fmt: skip
    F = torch.nn.functional
    acts = {"identity": lambda z: z, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
            "relu": F.relu, "leaky_relu": lambda z: F.leaky_relu(z, 0.01), "elu": F.elu,
            "softplus": lambda z: F.relu(z) + torch.log1p(torch.exp(-z.abs())),
            "gelu": lambda z: z * 0.5 * torch.special.erfc(-z / 2**0.5),
            "softmax": lambda z: torch.softmax(z, dim=1)}  # fmt: skip
    At = Xt
    for i, (W, b) in enumerate(params):
        At = acts[out if i == len(params) - 1 else act](At @ W + b)
    if loss == "mse":
        L = F.mse_loss(At, torch.asarray(y))
    elif loss == "bce":
        L = F.binary_cross_entropy(At, torch.asarray(y))
    else:
        L = F.nll_loss(torch.log(At), torch.asarray(y))
    L.backward()
    for g, (W, b) in zip(grads, params):
        assert isinstance(g.dW, torch.Tensor)
        np.testing.assert_allclose(to_numpy(g.dW), W.grad.numpy(), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(to_numpy(g.db), b.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("lib", FOREIGN)
def test_surgery_works_on_every_library_and_keeps_the_function(lib):
    conv = LIBRARIES[lib]
    X, y, _ = _data()
    model, _, before = _fit(lib)
    model.widen(0, 9)
    model.deepen(0, activation="identity")
    after = model.predict(conv(X))
    np.testing.assert_allclose(to_numpy(after), to_numpy(before), rtol=1e-12, atol=1e-14)
    model.prune(0, 5, data=(conv(X), conv(y)))
    model.fit(conv(X), conv(y), loss="bce", epochs=2, batch_size=16, verbose=False)
    ns = array_namespace(conv(np.zeros(1)))
    assert all(array_namespace(layer.W) is ns for layer in model.layers)


@pytest.mark.parametrize("lib", FOREIGN)
def test_a_trained_model_refuses_data_of_another_library(lib):
    conv = LIBRARIES[lib]
    X, y, _ = _data()
    model, _, _ = _fit(lib)
    with pytest.raises(TypeError, match=r"X is a numpy array but the weights are .* model\.to"):
        model.predict(X)
    W = to_numpy(model.layers[0].W).copy()
    with pytest.raises(TypeError, match="X is a numpy array"):
        model.fit(X, y, loss="bce", epochs=1, verbose=False)  # refused: nothing changed
    np.testing.assert_array_equal(to_numpy(model.layers[0].W), W)
    with pytest.raises(TypeError, match="X_val is a numpy array"):
        model.fit(conv(X), conv(y), loss="bce", validation_data=(X, y), verbose=False)
    model.to("numpy")  # the explicit move: then NumPy is welcome
    np.testing.assert_allclose(model.predict(X), to_numpy(model.predict(X)))


def test_to_refuses_what_is_not_an_array():
    model = lw.mlp(2, [3], 1, seed=0)
    with pytest.raises(ValueError, match="like must be an array or 'numpy', got 'cuda'"):
        model.to("cuda")
    with pytest.raises(TypeError, match="like must be an array or 'numpy', got list"):
        model.to([1.0])


@pytest.mark.parametrize("lib", FOREIGN)
def test_bad_foreign_input_gets_the_same_clear_errors(lib):
    conv = LIBRARIES[lib]
    model = lw.mlp(3, [4], 1, seed=0)
    X = np.ones((5, 3))
    X[2, 1] = np.nan
    with pytest.raises(ValueError, match="X contains NaN or infinity"):
        model.fit(conv(X), conv(np.ones(5)), epochs=1, verbose=False)
    with pytest.raises(ValueError, match="X must be 2-D"):
        model.fit(conv(np.ones(5)), conv(np.ones(5)), epochs=1, verbose=False)
    with pytest.raises(ValueError, match="X has 2 features but the model expects 3"):
        model.fit(conv(np.ones((5, 2))), conv(np.ones(5)), epochs=1, verbose=False)
    with pytest.raises(ValueError, match="X has 5 samples but y has 4 rows"):
        model.fit(conv(np.ones((5, 3))), conv(np.ones(4)), epochs=1, verbose=False)
    assert not model.built or model.optimizer is None  # refused before anything changed


def test_jax_arrays_train_through_the_functional_form():
    jnp = pytest.importorskip("jax.numpy")
    X, y, _ = _data()
    ref = _fit("numpy", dtype="float32")
    model = lw.mlp(3, [6, 4], 1, activation="tanh", output_activation="sigmoid", seed=1)
    h = model.fit(jnp.asarray(X, dtype=jnp.float32), jnp.asarray(y, dtype=jnp.float32),
                  loss="bce", optimizer="adam", lr=0.01, epochs=5, batch_size=16,
                  verbose=False)  # fmt: skip
    np.testing.assert_allclose(h.loss, ref[1].loss, rtol=1e-4)
    assert "jax" in type(model.layers[0].W).__module__


def test_the_docs_page_runs_as_written(capsys):
    import re
    from pathlib import Path

    text = (Path(__file__).parents[2] / "docs" / "arrays.md").read_text()
    for block in re.findall(r"```python\n(.*?)```", text, re.S):
        exec(compile(block, "docs/arrays.md", "exec"), {})
    assert capsys.readouterr().out.startswith("Tensor Tensor ")


@pytest.mark.parametrize("lib", FOREIGN)
def test_export_reads_any_library_as_numpy(lib, tmp_path):
    pytest.importorskip("onnxruntime")
    import onnxruntime as ort

    conv = LIBRARIES[lib]
    X, y, _ = _data()
    model, _, P = _fit(lib)
    with torch.no_grad():
        got = lw.export.to_torch(model)(torch.asarray(X)).numpy()
    np.testing.assert_allclose(got, to_numpy(P), rtol=1e-12, atol=1e-14)
    lw.export.to_onnx(model, tmp_path / "m.onnx")
    session = ort.InferenceSession(str(tmp_path / "m.onnx"))
    out = session.run(None, {session.get_inputs()[0].name: X})[0]
    np.testing.assert_allclose(out, to_numpy(P), rtol=1e-12, atol=1e-14)
    assert array_namespace(model.layers[0].W) is array_namespace(conv(np.zeros(1)))  # untouched


@pytest.mark.parametrize("lib", FOREIGN)
def test_save_writes_the_numpy_file_and_load_like_puts_it_back(lib, tmp_path):
    conv = LIBRARIES[lib]
    X, y, _ = _data()
    model, _, P = _fit(lib)
    lw.save(model, tmp_path / "m.npz")
    assert array_namespace(model.layers[0].W) is array_namespace(conv(np.zeros(1)))  # untouched
    with np.load(tmp_path / "m.npz", allow_pickle=False) as f:  # a plain NumPy file
        assert all(f[k].dtype.kind in "biuf" for k in f.files)
    plain = lw.load(tmp_path / "m.npz")  # the same weights, computed by NumPy: rounding apart
    np.testing.assert_allclose(plain.predict(X), to_numpy(P), rtol=1e-12)
    back = lw.load(tmp_path / "m.npz", like=conv(np.zeros(1)))
    assert array_namespace(back.predict(conv(X))) is array_namespace(P)
    np.testing.assert_array_equal(to_numpy(back.predict(conv(X))), to_numpy(P))
    # and it continues training exactly as the saved one does
    for m in (model, back):
        m.fit(conv(X), conv(y), loss="bce", epochs=2, batch_size=16, verbose=False)
    np.testing.assert_array_equal(to_numpy(back.layers[0].W), to_numpy(model.layers[0].W))
    with pytest.raises(TypeError, match="like must be an array"):
        lw.load(tmp_path / "m.npz", like="torch")


@pytest.mark.parametrize("lib", FOREIGN)
def test_snapshot_restore_and_the_divergence_guard_work_on_every_library(lib):
    conv = LIBRARIES[lib]
    X, y, _ = _data()
    model, _, _ = _fit(lib)
    saved = model.snapshot()
    W = model.layers[0].W  # restore writes into the arrays someone may hold
    before = to_numpy(W).copy()
    model.fit(conv(X), conv(y), loss="bce", epochs=2, batch_size=16, verbose=False)
    assert model.restore(saved)
    np.testing.assert_array_equal(to_numpy(W), before)
    assert array_namespace(model.layers[0].W) is array_namespace(conv(np.zeros(1)))
    Xr = conv(np.random.default_rng(1).normal(size=(50, 3)) * 30)
    reg = lw.mlp(3, [8], 1, activation="tanh", seed=0, dtype="float64")
    with pytest.raises(lw.DivergenceError):
        reg.fit(Xr, conv(np.ones(50) * 1e3), loss="mse", lr=50.0, epochs=200, verbose=False)
    assert all(np.isfinite(to_numpy(p)).all() for p in reg.parameters().values())


@pytest.mark.parametrize("lib", FOREIGN)
def test_prune_takes_inputs_alone_on_every_library_as_on_numpy(lib):
    # data=X (no y) was read as a pair and iterated over X's rows on a foreign library
    conv = LIBRARIES[lib]
    X, y, _ = _data()
    model, _, _ = _fit(lib)
    reference = model.copy().to("numpy")
    model.prune(0, 3, data=conv(X))
    reference.prune(0, 3, data=X)
    assert array_namespace(model.layers[0].W) is array_namespace(conv(np.zeros(1)))
    for a, b in zip(model.layers, reference.layers, strict=True):
        np.testing.assert_allclose(to_numpy(a.W), b.W, rtol=1e-10, atol=1e-12)
