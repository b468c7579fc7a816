"""Backpropagation against PyTorch autograd, in float64, over random architectures.

The oracle is built from torch's own definitions (torch.nn.functional), not from
layerwise: each Dense layer is ``Z = A_prev @ W + b`` with torch tensors holding the same
numbers, the activations are torch's, and the losses are torch's mse_loss,
binary_cross_entropy and nll_loss of log(softmax).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")
F = torch.nn.functional

import layerwise as lw  # noqa: E402


def _gelu(z):
    # F.gelu(approximate="none") computes Phi as 0.5 (1 + erf(z / sqrt 2)), which cancels for
    # z << 0: its gradient is 6e-9 off (relative) at z = -6.36 and 1% off at z = -10
    # (see test_torch_gelu_agrees_where_it_is_accurate). Phi = erfc(-z / sqrt 2) / 2 is
    # torch's exact form of the same function.
    return z * 0.5 * torch.special.erfc(-z / math.sqrt(2.0))


def _softplus(z):
    # F.softplus switches to the identity above z = 20 (threshold), which differs from
    # log(1 + e^z) by ~e^-20; this is the exact function
    return F.relu(z) + torch.log1p(torch.exp(-z.abs()))


TORCH_ACTS = {
    "identity": lambda z: z,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": F.relu,
    "leaky_relu": lambda z: F.leaky_relu(z, 0.01),
    "elu": lambda z: F.elu(z, alpha=1.0),
    "softplus": _softplus,
    "gelu": _gelu,
    "softmax": lambda z: torch.softmax(z, dim=1),
}


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


def test_torch_gelu_agrees_where_it_is_accurate():
    # F.gelu itself, value and gradient, on the range where its erf form keeps its digits
    z = np.linspace(-5.0, 8.0, 2001)
    zt = torch.tensor(z, requires_grad=True)
    F.gelu(zt, approximate="none").sum().backward()
    gelu = lw.activations.get("gelu")
    np.testing.assert_allclose(gelu.forward(z), F.gelu(torch.tensor(z)).numpy(), rtol=1e-12,
                               atol=1e-15)  # fmt: skip
    np.testing.assert_allclose(gelu.derivative(z), zt.grad.numpy(), rtol=1e-10, atol=1e-15)


# every hidden activation the library has (a new one without an oracle fails here)
HIDDEN_ACTIVATIONS = sorted(set(lw.activations.names()) - {"softmax"})

LOSS_KINDS = [("mse", "identity", 2, "real"), ("mse", "relu", 3, "real"),
              ("mse", "tanh", 1, "real"), ("bce", "sigmoid", 2, "binary"),
              ("cce", "softmax", 4, "labels"), ("cce", "softmax", 3, "onehot")]  # fmt: skip


@pytest.mark.parametrize("loss,out,units,targets", LOSS_KINDS)
@pytest.mark.parametrize("act", HIDDEN_ACTIVATIONS)
def test_every_hidden_activation_with_every_loss(net_case, act, loss, out, units, targets):
    # the random draws above cover these too; here each pair is certain to be checked
    case = net_case(
        n_in=3,
        widths=[6, 5],
        activations=[act, act],
        units=units,
        output_activation=out,
        loss=loss,
        targets=targets,
        n_samples=7,
        seed=11,
    )
    model, X, y = case.build()
    grads = model.backward(model.forward(X)[1], y, loss)
    value, _, expected = torch_gradients(model, X, y, loss)
    assert model.evaluate(X, y, loss) == pytest.approx(value, rel=1e-12)
    assert_grads_match(grads, expected)
