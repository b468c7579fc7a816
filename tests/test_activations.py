"""Activations against independent formulas, derivatives against finite differences."""

from __future__ import annotations

import math

import numpy as np
import pytest

import layerwise as lw
from layerwise.activations import get, names
from layerwise.activations import names as activation_names
from tests.torch_oracle import F, needs_torch, torch

sp = pytest.importorskip("scipy.special")

_erfc = np.vectorize(math.erfc, otypes=[float])
_expm1 = np.vectorize(math.expm1, otypes=[float])

# Independent definitions: the standard library and scipy, never layerwise's own code.
# GELU's Phi is written with math.erfc, not 1 + math.erf, because 1 + erf(x) cancels to 0
# for x < -6 (where Phi is still ~1e-10).
ORACLES = {
    "identity": lambda z: z,
    "sigmoid": sp.expit,
    "tanh": np.vectorize(math.tanh, otypes=[float]),
    "relu": lambda z: np.where(z > 0, z, 0.0),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "elu": lambda z: np.where(z > 0, z, _expm1(np.minimum(z, 0))),
    "softplus": lambda z: np.logaddexp(0.0, z),
    "gelu": lambda z: z * 0.5 * _erfc(-z / math.sqrt(2.0)),
}
ELEMENTWISE = sorted(ORACLES)
KINKED = {"relu", "leaky_relu", "elu"}  # derivative jumps (elu: its second) at 0

Z_WIDE = np.concatenate(
    [np.linspace(-40, 40, 801), [-1000.0, -700.0, -1e-8, 0.0, 1e-8, 700.0, 1000.0]]
).reshape(-1, 4)


def test_registry_has_every_named_activation():
    assert names() == sorted([*ELEMENTWISE, "softmax"])
    assert get("linear").name == "identity"
    assert get(None).name == "identity"
    assert get("  ReLU ").name == "relu"
    act = get("tanh")
    assert get(act) is act


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_forward_matches_independent_formula(name):
    # GELU's far tail: e^(-x^2) of a rounded x^2 carries ~x^2 eps relative error in any
    # double-precision erfc (scipy's too); at z = -40 that is 2e-13
    rtol = 5e-13 if name == "gelu" else 2e-15
    np.testing.assert_allclose(get(name).forward(Z_WIDE), ORACLES[name](Z_WIDE), rtol=rtol,
                               atol=1e-300)  # fmt: skip


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_derivative_matches_finite_differences(name):
    rng = np.random.default_rng(0)
    z = np.concatenate([rng.normal(0, 3, 200), np.linspace(-12, 12, 97)]).reshape(-1, 1)
    if name in KINKED:
        z = z[np.abs(z) > 1e-3].reshape(-1, 1)
    h = 1e-6
    f = ORACLES[name]
    numerical = (f(z + h) - f(z - h)) / (2 * h)
    act = get(name)
    np.testing.assert_allclose(act.derivative(z), numerical, rtol=1e-7, atol=1e-9)
    # backward uses the cached A (sigmoid, tanh, elu): it must agree with the derivative
    dA = rng.normal(size=z.shape)
    np.testing.assert_allclose(act.backward(dA, z, act.forward(z)), dA * act.derivative(z),
                               rtol=1e-14, atol=1e-15)  # fmt: skip


@pytest.mark.parametrize("name", ["relu", "leaky_relu"])
def test_derivative_at_the_kink_is_the_right_one(name):
    # as PyTorch: the slope of the left piece at exactly 0
    assert get(name).derivative(np.zeros((1, 1)))[0, 0] == (0.0 if name == "relu" else 0.01)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_is_exact_and_silent_at_extremes(dtype):
    z = np.array([[-1000.0, -745.0, -88.0, -30.0, 0.0, 30.0, 88.0, 1000.0]], dtype=dtype)
    with np.errstate(all="raise", under="ignore"):
        a = get("sigmoid").forward(z)
        d = get("sigmoid").backward(np.ones_like(z), z, a)
    assert a.dtype == dtype and d.dtype == dtype
    assert a[0, 0] == 0.0 and a[0, -1] == 1.0
    # e^z / (1 + e^z) in exact-enough scalar arithmetic; at -745 it is the smallest
    # subnormal, 5e-324 (scipy's expit returns 0 there)
    exact = [math.exp(v) / (1 + math.exp(v)) if v < 0 else 1 / (1 + math.exp(-v)) for v in z[0]]
    np.testing.assert_allclose(a[0], np.array(exact).astype(dtype), rtol=1e-15, atol=0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softplus_is_exact_and_silent_at_extremes(dtype):
    z = np.array([[-1000.0, -40.0, 0.0, 40.0, 1000.0]], dtype=dtype)
    with np.errstate(all="raise", under="ignore"):
        a = get("softplus").forward(z)
        d = get("softplus").derivative(z)
    assert a.dtype == dtype and d.dtype == dtype
    assert a[0, 0] == 0.0 and a[0, -1] == 1000.0
    assert a[0, 1] == pytest.approx(math.exp(-40.0), rel=1e-6)  # log1p keeps e^-40
    assert a[0, 2] == pytest.approx(math.log(2.0), rel=1e-7)
    np.testing.assert_array_equal(d[0, [0, -1]], [0.0, 1.0])


def test_tanh_elu_gelu_silent_at_extremes():
    z = np.array([[-1000.0, -50.0, 50.0, 1000.0]])
    with np.errstate(all="raise", under="ignore"):
        for name in ("tanh", "elu", "gelu", "leaky_relu"):
            act = get(name)
            a = act.forward(z)
            act.backward(np.ones_like(z), z, a)
    np.testing.assert_array_equal(get("gelu").forward(z), [[0.0, 0.0, 50.0, 1000.0]])
    np.testing.assert_array_equal(get("gelu").derivative(z), [[0.0, 0.0, 1.0, 1.0]])
    np.testing.assert_array_equal(get("elu").forward(z), [[-1.0, -1.0, 50.0, 1000.0]])


def test_softmax_matches_scipy_and_survives_huge_logits():
    rng = np.random.default_rng(1)
    z = np.vstack([rng.normal(0, 5, (20, 4)), [[1000.0, 999.0, -1000.0, 0.0]],
                   [[1e30, 0.0, -1e30, 1e29]], [[-1e4, -1e4, -1e4, -1e4]]])  # fmt: skip
    with np.errstate(all="raise", under="ignore"):
        a = get("softmax").forward(z)
    np.testing.assert_allclose(a, sp.softmax(z, axis=1), rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(a.sum(axis=1), 1.0, rtol=1e-15)
    np.testing.assert_allclose(a[-3], [1 / (1 + math.exp(-1)), 1 / (1 + math.e), 0.0, 0.0])
    np.testing.assert_array_equal(a[-2], [1.0, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(a[-1], [0.25] * 4)


def test_softmax_backward_is_its_jacobian_by_finite_differences():
    rng = np.random.default_rng(2)
    sm = get("softmax")
    z = rng.normal(size=(3, 5))
    dA = rng.normal(size=(3, 5))
    h = 1e-6
    expected = np.empty_like(z)
    for i in range(z.shape[0]):
        for j in range(z.shape[1]):
            zp, zm = z.copy(), z.copy()
            zp[i, j] += h
            zm[i, j] -= h
            expected[i, j] = np.sum(dA * (sp.softmax(zp, axis=1) - sp.softmax(zm, axis=1))) / (
                2 * h
            )
    np.testing.assert_allclose(sm.backward(dA, z, sm.forward(z)), expected, rtol=1e-7, atol=1e-10)
    with pytest.raises(TypeError, match="no elementwise derivative"):
        sm.derivative(z)


@pytest.mark.parametrize("name", [*ELEMENTWISE, "softmax"])
def test_float32_in_float32_out(name):
    act = get(name)
    z = np.linspace(-5, 5, 12, dtype=np.float32).reshape(3, 4)
    a = act.forward(z)
    assert a.dtype == np.float32
    assert act.backward(np.ones_like(z), z, a).dtype == np.float32


@pytest.mark.parametrize("name", [*ELEMENTWISE, "softmax"])
def test_nonnegative_flag_is_true(name):
    a = get(name).forward(Z_WIDE)
    assert get(name).nonnegative == bool((a >= 0).all())


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(ValueError, match="unknown activation 'swish'; valid names: elu, gelu"):
        get("swish")
    with pytest.raises(TypeError, match="activation must be a name or an Activation"):
        get(3)
    with pytest.raises(ValueError, match="valid names"):
        lw.Dense(3, "sigmod")


def test_unknown_activation_lists_valid_names():
    with pytest.raises(ValueError, match="unknown activation 'sigmod'; valid names: .*sigmoid"):
        lw.mlp(2, [3], 1, output_activation="sigmod")


@pytest.mark.parametrize("name", activation_names())
def test_activation_rules_never_write_into_their_arguments(name):
    act = lw.activations.get(name)
    rng = np.random.default_rng(7)
    for dtype in (np.float32, np.float64):
        Z = (rng.standard_normal((9, 5)) * 30).astype(dtype)
        Z[0, :3] = [0.0, -0.0, 700.0]
        dA = rng.standard_normal((9, 5)).astype(dtype)
        Zc, dAc = Z.copy(), dA.copy()
        A = act.forward(Z)
        Ac = A.copy()
        dZ = act.backward(dA, Z, A)
        for got, want in ((Z, Zc), (dA, dAc), (A, Ac)):
            assert got.tobytes() == want.tobytes()
        if name != "identity":  # identity's rules return their argument itself
            assert dZ is not dA and A is not Z


@needs_torch
def test_torch_gelu_agrees_where_it_is_accurate():
    # F.gelu itself, value and gradient, on the range where its erf form keeps its digits
    z = np.linspace(-5.0, 8.0, 2001)
    zt = torch.tensor(z, requires_grad=True)
    F.gelu(zt, approximate="none").sum().backward()
    gelu = lw.activations.get("gelu")
    np.testing.assert_allclose(gelu.forward(z), F.gelu(torch.tensor(z)).numpy(), rtol=1e-12,
                               atol=1e-15)  # fmt: skip
    np.testing.assert_allclose(gelu.derivative(z), zt.grad.numpy(), rtol=1e-10, atol=1e-15)
