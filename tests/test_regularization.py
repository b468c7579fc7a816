"""Dropout, BatchNorm, per-layer L2 and gradient clipping, against oracles.

Oracles: finite differences (gradient_check, float64), torch.nn.BatchNorm1d with autograd,
torch.nn.utils.clip_grad_norm_, closed forms (expectation of inverted dropout).
"""

from __future__ import annotations

import numpy as np
import pytest

import layerwise as lw

torch = pytest.importorskip("torch")


def _data(n=24, d=5, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), rng.integers(0, 3, n)


# ------------------------------------------------------------------ dropout
def test_dropout_is_off_at_predict_time():
    X, _ = _data()
    model = lw.Sequential([lw.Dense(16, "relu"), lw.Dropout(0.5), lw.Dense(3, "softmax")],
                          input_dim=5, seed=0)  # fmt: skip
    a, b = model.predict(X), model.predict(X)
    np.testing.assert_array_equal(a, b)
    # and equals the network without the dropout layer
    plain = lw.Sequential([lw.Dense(16, "relu"), lw.Dense(3, "softmax")], input_dim=5)
    for src, dst in ((0, 0), (2, 1)):
        plain.layers[dst].W[...] = model.layers[src].W
        plain.layers[dst].b[...] = model.layers[src].b
    np.testing.assert_array_equal(a, plain.predict(X))
    # in training mode it is random
    A1, _ = model.forward(X, training=True)
    A2, _ = model.forward(X, training=True)
    assert not np.array_equal(A1, A2)


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.8])
def test_dropout_preserves_the_expected_activation(rate):
    layer = lw.Dropout(rate)
    layer.build(1000, None, np.dtype(np.float64))
    x = np.full((400, 1000), 3.0)
    A, cache = layer.forward(x, training=True, rng=np.random.default_rng(7))
    kept = A != 0
    # survivors are scaled by exactly 1/(1-rate); the kept fraction is 1-rate
    np.testing.assert_allclose(A[kept], 3.0 / (1 - rate), rtol=1e-15)
    n = x.size
    sd = np.sqrt(rate * (1 - rate) / n)
    assert abs(kept.mean() - (1 - rate)) < 5 * sd
    # E[A] = x: the mean is within 5 standard errors of 3
    se = 3.0 * np.sqrt(rate / (1 - rate) / n)
    assert abs(A.mean() - 3.0) < 5 * se
    dA_prev, grads = layer.backward(np.ones_like(x), cache)
    assert grads is None
    np.testing.assert_array_equal(dA_prev, cache.mask)


def test_gradients_through_dropout():
    X, y = _data()
    model = lw.Sequential(
        [lw.Dropout(0.2), lw.Dense(8, "tanh"), lw.Dropout(0.5), lw.Dense(3, "softmax")],
        input_dim=5, seed=3, dtype="float64",
    )  # fmt: skip
    err = lw.gradient_check(model, X, y, "cce")
    assert err < 1e-7
    # the check is sensitive: a wrong mask in backward is caught
    orig = lw.Dropout.backward
    try:
        lw.Dropout.backward = lambda self, dA, cache, need_dA_prev=True, **buffers: (dA, None)
        assert lw.gradient_check(model, X, y, "cce") > 1e-3
    finally:
        lw.Dropout.backward = orig


def test_dropout_rejects_bad_rate():
    with pytest.raises(ValueError, match=r"rate must be a number in \[0, 1\), got 1.0"):
        lw.Dropout(1.0)
    with pytest.raises(TypeError, match=r"rate must be a number in \[0, 1\), got str 'x'"):
        lw.Dropout("x")  # a wrong type is a TypeError, as everywhere


# ------------------------------------------------------------------ batchnorm
def _bn_model(activation="identity", dtype="float64"):
    return lw.Sequential(
        [lw.Dense(6, "identity"), lw.BatchNorm(activation=activation), lw.Dense(3, "softmax")],
        input_dim=5, seed=1, dtype=dtype,
    )  # fmt: skip


@pytest.mark.parametrize("activation", ["identity", "relu", "tanh"])
def test_batchnorm_gradient_check_training_and_eval(activation):
    X, y = _data(seed=2)
    model = _bn_model(activation)
    rng = np.random.default_rng(0)
    bn = model.layers[1]
    bn.gamma[:] = rng.uniform(0.5, 1.5, 6)
    bn.beta[:] = rng.normal(0, 0.3, 6)
    bn.running_mean[:] = rng.normal(0, 0.5, 6)
    bn.running_var[:] = rng.uniform(0.5, 2, 6)
    assert lw.gradient_check(model, X, y, "cce") < 1e-7
    assert lw.gradient_check(model, X, y, "cce", training=False) < 1e-7


def _torch_bn_step(x, gamma, beta, rm, rv, dout, training, momentum=0.1, eps=1e-5):
    bn = torch.nn.BatchNorm1d(x.shape[1], momentum=momentum, eps=eps).double()
    with torch.no_grad():
        bn.weight.copy_(torch.from_numpy(gamma))
        bn.bias.copy_(torch.from_numpy(beta))
        bn.running_mean.copy_(torch.from_numpy(rm))
        bn.running_var.copy_(torch.from_numpy(rv))
    bn.train(training)
    xt = torch.from_numpy(x).requires_grad_(True)
    out = bn(xt)
    out.backward(torch.from_numpy(dout))
    return (out.detach().numpy(), xt.grad.numpy(), bn.weight.grad.numpy(), bn.bias.grad.numpy(),
            bn.running_mean.numpy(), bn.running_var.numpy())  # fmt: skip


@pytest.mark.parametrize("training", [True, False])
def test_batchnorm_matches_torch_forward_backward(training):
    rng = np.random.default_rng(4)
    x = rng.normal(2.0, 3.0, (16, 7))
    dout = rng.normal(size=(16, 7))
    layer = lw.BatchNorm(momentum=0.2, eps=1e-3)
    layer.build(7, None, np.dtype(np.float64))
    layer.gamma[:] = rng.uniform(0.5, 2, 7)
    layer.beta[:] = rng.normal(size=7)
    layer.running_mean[:] = rng.normal(size=7)
    layer.running_var[:] = rng.uniform(0.5, 2, 7)
    want = _torch_bn_step(x, layer.gamma.copy(), layer.beta.copy(), layer.running_mean.copy(),
                          layer.running_var.copy(), dout, training, 0.2, 1e-3)  # fmt: skip
    A, cache = layer.forward(x, training=training)
    dx, grads = layer.backward(dout, cache)
    got = (A, dx, grads.dgamma, grads.dbeta, layer.running_mean, layer.running_var)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)


def test_batchnorm_running_stats_match_torch_after_several_steps():
    rng = np.random.default_rng(5)
    layer = lw.BatchNorm()
    layer.build(4, None, np.dtype(np.float64))
    bn = torch.nn.BatchNorm1d(4).double().train()
    for _ in range(6):
        x = rng.normal(1.0, 2.0, (10, 4))
        layer.forward(x, training=True)
        bn(torch.from_numpy(x))
    np.testing.assert_allclose(layer.running_mean, bn.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(layer.running_var, bn.running_var.numpy(), rtol=1e-12)
    assert set(layer.buffers()) == {"running_mean", "running_var"}
    # inference uses them: same as torch in eval mode
    x = rng.normal(size=(3, 4))
    np.testing.assert_allclose(layer.forward(x)[0], bn.eval()(torch.from_numpy(x)).detach(),
                               rtol=1e-12)  # fmt: skip


def test_batchnorm_in_training_refuses_one_sample_and_float32_stays():
    model = _bn_model(dtype="float32")
    with pytest.raises(ValueError, match="at least 2 samples"):
        model.forward(np.zeros((1, 5)), training=True)
    A, _ = model.forward(np.ones((4, 5)), training=True)
    assert A.dtype == np.float32
    assert all(b.dtype == np.float32 for b in model.layers[1].buffers().values())


def test_batchnorm_network_trains_and_saves(tmp_path):
    X, y = _data(n=120, seed=6)
    model = _bn_model("relu", dtype="float32")
    h = model.fit(X, y, loss="cce", optimizer="adam", lr=0.01, epochs=30, batch_size=16,
                  verbose=False)  # fmt: skip
    assert h.loss[-1] < h.loss[0]
    lw.save(model, tmp_path / "bn.npz")
    back = lw.load(tmp_path / "bn.npz")
    np.testing.assert_array_equal(back.predict(X), model.predict(X))
    np.testing.assert_array_equal(back.layers[1].running_var, model.layers[1].running_var)


# ------------------------------------------------------------------ L2 and clipping
def test_dense_l2_penalty_value_and_gradient():
    X, y = _data(seed=8)
    model = lw.Sequential([lw.Dense(7, "tanh", l2=0.05), lw.Dense(3, "softmax", l2=0.01)],
                          input_dim=5, seed=2, dtype="float64")  # fmt: skip
    W0, W1 = model.layers[0].W, model.layers[1].W
    assert model.penalty() == pytest.approx(0.05 * np.sum(W0**2) + 0.01 * np.sum(W1**2))
    plain = model.copy()
    for layer in plain.layers:
        layer.l2 = 0.0
    data_loss = plain.evaluate(X, y, "cce")
    assert model.evaluate(X, y, "cce") == pytest.approx(data_loss + model.penalty(), rel=1e-14)
    assert lw.gradient_check(model, X, y, "cce") < 1e-7
    # dW = data gradient + 2 l2 W, db untouched (biases are not penalised)
    A, c = model.forward(X)
    g = model.backward(c, y, "cce")
    g0 = plain.backward(plain.forward(X)[1], y, "cce")
    np.testing.assert_allclose(g[0].dW, g0[0].dW + 2 * 0.05 * W0, rtol=1e-13)
    np.testing.assert_array_equal(g[0].db, g0[0].db)
    # the reported training loss includes the penalty (epoch 1 = loss before any update)
    h = model.copy().fit(X, y, loss="cce", epochs=1, verbose=False)
    assert h.loss[0] == pytest.approx(data_loss + model.penalty(), rel=1e-12)
    assert lw.Dense.from_config(model.layers[0].get_config()).l2 == 0.05


def test_clipnorm_matches_torch_clip_grad_norm():
    rng = np.random.default_rng(9)
    grads = [rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=(3, 2))]
    params = [torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.float64)) for g in grads]
    for p, g in zip(params, grads):
        p.grad = torch.from_numpy(g.copy())
    want_norm = torch.nn.utils.clip_grad_norm_(params, 1.5)
    got_norm = lw.training.clip_grad_norm(grads, 1.5)
    assert got_norm == pytest.approx(float(want_norm), rel=1e-14)
    for g, p in zip(grads, params):
        np.testing.assert_allclose(g, p.grad.numpy(), rtol=1e-14)
    total = np.sqrt(sum(np.sum(g**2) for g in grads))
    assert total == pytest.approx(1.5, rel=1e-5)
    # below the threshold: untouched
    small = [np.ones(2) * 0.1]
    lw.training.clip_grad_norm(small, 10.0)
    np.testing.assert_array_equal(small[0], 0.1)


def test_fit_with_clipnorm_steps_by_the_clipped_gradient():
    X, y = _data(seed=10)
    model = lw.mlp(5, [4], 3, output_activation="softmax", seed=0, dtype="float64")
    ref = model.copy()
    model.fit(X, y, loss="cce", optimizer="sgd", lr=0.5, epochs=1, clipnorm=1e-3, verbose=False)
    g = ref.backward(ref.forward(X)[1], y, "cce")
    norm = np.sqrt(sum(np.sum(a**2) for gi in g for a in gi))
    assert norm > 1e-3
    for layer, r, gi in zip(model.layers, ref.layers, g):
        np.testing.assert_allclose(layer.W, r.W - 0.5 * gi.dW * 1e-3 / (norm + 1e-6), rtol=1e-12)
