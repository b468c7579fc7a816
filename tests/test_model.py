"""Sequential: structure, the three steps by hand, changes before and after training,
summary, config, stale caches and grads after a change of shape, the seed."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import layerwise as lw
from tests import twins
from tests.helpers import HIDDEN_ACTIVATIONS, X4, Y4, binary, check_shapes, fit, pair_case
from tests.torch_oracle import TORCH_ACTS, F, needs_torch, torch

RNG = np.random.default_rng(0)
X = RNG.normal(size=(20, 3))
Y_BIN = (X[:, 0] > 0).astype(float)


def test_forward_is_the_composition_of_layers():
    model = lw.mlp(3, [4], 2, activation="tanh", seed=1, dtype="float64")
    X = np.random.default_rng(1).normal(size=(5, 3))
    W0, b0, W1, b1 = (p for p in model.parameters().values())
    np.testing.assert_allclose(model.predict(X), np.tanh(X @ W0 + b0) @ W1 + b1, rtol=1e-14)
    # equal to the last bit or two: BLAS takes another path for a batch of one row
    np.testing.assert_allclose(model.predict(X, batch_size=2), model.predict(X), rtol=1e-14)


def test_update_is_plain_gradient_descent():
    model = lw.mlp(3, [4], 1, seed=2, dtype="float64")
    X, y = np.ones((2, 3)), np.array([1.0, 2.0])
    grads = model.backward(model.forward(X)[1], y, "mse")
    before = [p.copy() for p in model.parameters().values()]
    model.update(grads, lr=0.25)
    flat = [g for pair in grads for g in pair]
    for new, old, g in zip(model.parameters().values(), before, flat, strict=True):
        np.testing.assert_array_equal(new, old - 0.25 * g)


def test_layers_are_built_lazily_from_the_data():
    model = lw.Sequential([lw.Dense(4, "tanh"), lw.Dense(1, "sigmoid")], seed=0)
    assert not model.built
    assert "?" in model.summary()
    model.forward(np.zeros((2, 5)))
    assert model.built and model.input_dim == 5
    check_shapes(model)


def test_seed_may_be_a_generator():
    a = lw.mlp(2, [3], 1, seed=np.random.default_rng(4))
    b = lw.mlp(2, [3], 1, seed=4)
    np.testing.assert_array_equal(a.layers[0].W, b.layers[0].W)


def test_copy_is_independent():
    model = lw.mlp(2, [3], 1, seed=0)
    twin = model.copy()
    twin.layers[0].W[:] = 0
    assert not np.all(model.layers[0].W == 0)


def test_config_round_trip_rebuilds_the_architecture():
    model = lw.mlp(4, [5, 3], 2, activation=["gelu", "softplus"], output_activation="softmax",
                   dtype="float64")  # fmt: skip
    again = lw.Sequential.from_config(model.get_config(), seed=0)
    assert again.get_config() == model.get_config()
    assert again.dtype == np.float64
    check_shapes(again)


def test_backward_rejects_stale_caches():
    model = lw.mlp(2, [3], 1, seed=0)
    _, caches = model.forward(np.ones((2, 2)))
    model.add(lw.Dense(1))
    with pytest.raises(ValueError, match="got 2 caches for 3 layers"):
        model.backward(caches, [0.0, 1.0], "mse")


def test_docs_core_examples_run_and_show_true_output(capsys):
    path = Path(__file__).parents[1] / "docs" / "core.md"
    text = path.read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) >= 8
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, str(path), "exec"), namespace)
    out = capsys.readouterr().out
    shown_summary = re.search(r"```\n(Sequential .*?)```", text, re.S).group(1)
    assert shown_summary in out
    # the line after the fields: backward left the forward step's cache untouched
    assert "('A_prev', 'W', 'b', 'Z', 'A') ('dW', 'db')\nTrue\n" in out


# --- caches and grads made before a change of shape ------------------------------------


@pytest.mark.parametrize("stale", ["caches", "grads"])
def test_stale_caches_or_grads_after_widen_are_refused_clearly(stale):
    model = lw.mlp(3, [4], 1, output_activation="sigmoid", seed=0)
    _, caches = model.forward(X)
    if stale == "caches":
        model.widen(0, 6)
        with pytest.raises(ValueError, match="changed shape.*forward"):
            model.update(model.backward(caches, Y_BIN, "bce"), lr=0.1)
    else:
        grads = model.backward(caches, Y_BIN, "bce")
        model.widen(0, 6)
        before = [p.copy() for p in model.parameters().values()]
        with pytest.raises(ValueError, match="changed shape.*forward"):
            model.update(grads, lr=0.1)
        for p, q in zip(model.parameters().values(), before):
            np.testing.assert_array_equal(p, q)  # nothing half-updated


@pytest.mark.parametrize("seed", [-1, np.int64(-3)])
def test_negative_seed_is_named(seed):
    with pytest.raises(ValueError, match=r"seed must be .*>= 0.*got -\d"):
        lw.mlp(3, [4], 1, seed=seed)


@pytest.mark.parametrize(
    "lr,exc",
    [
        (0, ValueError),
        (-0.1, ValueError),
        (np.nan, ValueError),
        (np.inf, ValueError),
        ("0.1", TypeError),
    ],
)
def test_lr(lr, exc):
    with pytest.raises(exc, match="lr must be a positive number, got"):
        fit(binary(), lr=lr)
    model = binary()
    grads = model.backward(model.forward(X4)[1], Y4, "bce")
    with pytest.raises(exc, match="lr must be a positive number"):
        model.update(grads, lr=lr)


def test_empty_model():
    with pytest.raises(ValueError, match="the model has no layers; add some with model.add"):
        lw.Sequential().predict(X4)


def test_backward_leaves_every_cache_as_forward_returned_it():
    model = lw.mlp(3, [6, 5], 2, activation=["tanh", "relu"], output_activation="sigmoid", seed=2)
    X = np.random.default_rng(3).standard_normal((20, 3))
    A, caches = model.forward(X, training=True)
    kept = [[a.copy() for a in c] for c in caches]
    model.backward(caches, (X[:, :2] > 0) * 1.0, "bce")
    model.backward(caches, (X[:, :2] > 0) * 1.0, "mse")  # the unfused path too
    for cache, saved in zip(caches, kept):
        for a, b in zip(cache, saved):
            np.testing.assert_array_equal(a, b)


def _torch_loss(loss: str, A, y: np.ndarray, Z):
    if loss == "mse":
        Y = torch.as_tensor(y, dtype=torch.float64).reshape(A.shape)
        return F.mse_loss(A, Y)
    if loss == "bce":
        return F.binary_cross_entropy(A, torch.as_tensor(y, dtype=torch.float64))
    if y.ndim == 1:  # integer labels: negative log-likelihood of log(softmax)
        return F.nll_loss(torch.log(A), torch.as_tensor(y, dtype=torch.int64))
    return -(torch.as_tensor(y, dtype=torch.float64) * torch.log(A)).sum(dim=1).mean()


def torch_gradients(model, X, y, loss):
    """Loss value, output and [(dW, db)] per layer, by torch autograd."""
    params = []
    A = torch.as_tensor(X, dtype=torch.float64)
    Z = None
    for layer in model.layers:
        W = torch.tensor(layer.W, dtype=torch.float64, requires_grad=True)
        b = torch.tensor(layer.b, dtype=torch.float64, requires_grad=True)
        params.append((W, b))
        Z = A @ W + b
        A = TORCH_ACTS[layer.activation.name](Z)
    value = _torch_loss(loss, A, np.asarray(y), Z)
    value.backward()
    grads = [(W.grad.numpy(), b.grad.numpy()) for W, b in params]
    return value.item(), A.detach().numpy(), grads


def assert_grads_match(grads, expected, *, rtol=1e-10, atol_scale=1e-12):
    # atol: rounding in a sum of products of size s is ~1e-16 s; 1e-12 of the largest
    # gradient entry of the network is far above that and far below any real error
    scale = max(max(np.abs(dW).max(), np.abs(db).max()) for dW, db in expected)
    atol = atol_scale * scale
    for i, (g, (dW, db)) in enumerate(zip(grads, expected, strict=True)):
        np.testing.assert_allclose(g.dW, dW, rtol=rtol, atol=atol, err_msg=f"dW of layer {i}")
        np.testing.assert_allclose(g.db, db, rtol=rtol, atol=atol, err_msg=f"db of layer {i}")


@needs_torch
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_backward_matches_torch_autograd(net_cases, data):
    case = data.draw(net_cases)
    model, X, y = case.build()
    A, caches = model.forward(X)
    grads = model.backward(caches, y, case.loss)
    value, A_torch, expected = torch_gradients(model, X, y, case.loss)
    np.testing.assert_allclose(A, A_torch, rtol=1e-13, atol=1e-15)
    assert model.evaluate(X, y, case.loss) == pytest.approx(value, rel=1e-12, abs=1e-15)
    assert_grads_match(grads, expected)


@needs_torch
@pytest.mark.parametrize("loss,out,units", [("mse", "softmax", 3), ("bce", "softmax", 3)])
def test_general_path_through_softmax_jacobian_matches_torch(loss, out, units):
    # pairs that are not fused go through loss.gradient and softmax's full Jacobian
    rng = np.random.default_rng(7)
    model = lw.mlp(4, [5], units, activation="tanh", output_activation=out, seed=1,
                   dtype="float64")  # fmt: skip
    X = rng.normal(size=(9, 4))
    y = rng.random((9, units)) if loss == "mse" else rng.integers(0, 2, (9, units)) * 1.0
    grads = model.backward(model.forward(X)[1], y, loss)
    value, _, expected = torch_gradients(model, X, y, loss)
    assert model.evaluate(X, y, loss) == pytest.approx(value, rel=1e-12)
    assert_grads_match(grads, expected)


@needs_torch
@pytest.mark.parametrize("act", sorted(TORCH_ACTS))
def test_each_activation_as_output_with_mse_matches_torch(act):
    # every activation's backward rule on the general (unfused) path, wide data range
    rng = np.random.default_rng(3)
    units = 3
    model = lw.mlp(2, [], units, output_activation=act, seed=0, dtype="float64")
    model.layers[0].W[:] = rng.normal(0, 4.0, (2, units))
    model.layers[0].b[:] = rng.normal(0, 1.0, units)
    X = rng.normal(0, 3.0, (20, 2))
    y = rng.normal(size=(20, units))
    grads = model.backward(model.forward(X)[1], y, "mse")
    _, _, expected = torch_gradients(model, X, y, "mse")
    assert_grads_match(grads, expected)


@needs_torch
def test_float32_model_matches_torch_to_float32_precision():
    rng = np.random.default_rng(0)
    model = lw.mlp(3, [8, 6], 4, activation=["gelu", "elu"], output_activation="softmax",
                   seed=0)  # fmt: skip
    X = rng.normal(size=(10, 3))
    y = rng.integers(0, 4, 10)
    grads = model.backward(model.forward(X)[1], y, "cce")
    _, _, expected = torch_gradients(model, X, y, "cce")
    assert all(g.dW.dtype == np.float32 and g.db.dtype == np.float32 for g in grads)
    assert_grads_match(grads, expected, rtol=2e-4, atol_scale=1e-5)


# every hidden activation the library has (a new one without an oracle fails here)
LOSS_KINDS = [("mse", "identity", 2, "real"), ("mse", "relu", 3, "real"),
              ("mse", "tanh", 1, "real"), ("bce", "sigmoid", 2, "binary"),
              ("cce", "softmax", 4, "labels"), ("cce", "softmax", 3, "onehot")]  # fmt: skip


@needs_torch
@pytest.mark.parametrize("loss,out,units,targets", LOSS_KINDS)
@pytest.mark.parametrize("act", HIDDEN_ACTIVATIONS)
def test_every_hidden_activation_with_every_loss(net_case, act, loss, out, units, targets):
    # the random draws above cover these too; here each pair is certain to be checked
    model, X, y = pair_case(net_case, act, loss, out, units, targets)
    grads = model.backward(model.forward(X)[1], y, loss)
    value, _, expected = torch_gradients(model, X, y, loss)
    assert model.evaluate(X, y, loss) == pytest.approx(value, rel=1e-12)
    assert_grads_match(grads, expected)


# the twin check of tests/twins.py: a refused call leaves the model as it was
REFUSED = {
    "evaluate with bad y": (ValueError, lambda m: m.evaluate(twins.X, twins.y[:5], "bce")),
    "predict with batch_size 0": (ValueError, lambda m: m.predict(twins.X, batch_size=0)),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_refused_call_changes_nothing(case):
    twins.assert_refusal_changes_nothing(*REFUSED[case])


def test_signatures_follow_the_design_contract():
    # DESIGN.md: model.widen(i, units, noise=0.0) and model.deepen(i): positional calls work
    X, _ = lw.datasets.load("moons", n_samples=30, seed=0)
    model = lw.mlp(2, [4], 1, activation="relu", seed=0, dtype="float64")
    before = model.predict(X)
    model.widen(0, 6, 0.0)
    model.deepen(0, "identity")
    np.testing.assert_allclose(model.predict(X), before, rtol=0, atol=1e-12)
    assert [layer.units for layer in model.layers] == [6, 6, 1]
