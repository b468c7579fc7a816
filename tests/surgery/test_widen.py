"""layerwise.surgery._widen: widening while keeping the function, by copies (Net2WiderNet,
written out by hand) or fresh neurons (init="gradmax" | "random" | "zeros").

Oracles: the network's own outputs before the change (every init must reproduce them, for
every hidden activation); PyTorch autograd for GradMax's matrix M = A_prev^T dZ_next (a zero
auxiliary map from layer i's input to the next pre-activation, the authors' construction) and
torch.linalg.svd for its singular vectors; random outgoing weights of the same spectral norm
for the optimality of the closed form; the optimizer state saved before the change.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import layerwise as lw
from layerwise import surgery
from tests import twins
from tests.surgery.helpers import regression_data, trained_case
from tests.torch_oracle import TORCH_ACTS, F, needs_torch, torch

FRESH = ("gradmax", "random", "zeros")


def _snapshot(model):
    """Every array of the model and of its optimizer state, copied."""
    arrays = [
        {k: v.copy() for k, v in {**layer.params(), **layer.buffers()}.items()}
        for layer in model.layers
    ]
    state = copy.deepcopy(model.optimizer.state) if model.optimizer is not None else None
    return arrays, state


def _same(a, b):
    (arrays_a, state_a), (arrays_b, state_b) = a, b
    if len(arrays_a) != len(arrays_b):
        return False
    for a_layer, b_layer in zip(arrays_a, arrays_b):
        if a_layer.keys() != b_layer.keys():
            return False
        if not all(np.array_equal(a_layer[k], b_layer[k]) for k in a_layer):
            return False
    if (state_a is None) != (state_b is None):
        return False
    for key in state_a or {}:
        for name, arr in state_a[key].items():
            other = state_b[key][name]
            if not np.array_equal(np.asarray(arr), np.asarray(other)):
                return False
    return True


def _classifier(widths, act, seed=0, n=80, n_in=5, classes=4, epochs=5):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_in))
    y = rng.integers(0, classes, n)
    model = lw.mlp(
        n_in, widths, classes, activation=act, output_activation="softmax", seed=seed,
        dtype="float64",
    )  # fmt: skip
    model.fit(X, y, loss="cce", optimizer="adam", lr=0.01, epochs=epochs, verbose=False)
    return model, X, y


# ---------------------------------------------------------------------------- preservation
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fresh_inits_preserve_the_function(net_cases, data):
    case = data.draw(net_cases)
    assume(case.widths)
    model, X, y = case.build("float64")
    model.fit(X, y, loss=case.loss, lr=0.05, epochs=2, verbose=False)
    X_new = np.random.default_rng(case.seed + 1).normal(0.0, 1.5, (20, case.n_in))
    i = data.draw(st.integers(0, len(case.widths) - 1))
    init = data.draw(st.sampled_from(FRESH))
    old = model.layers[i].units
    units = old + data.draw(st.integers(1, 20))
    before = model.predict(X_new)
    kw = {"data": (X, y), "loss": case.loss} if init == "gradmax" else {}
    src = surgery.widen(model, i, units, init=init, **kw)
    assert model.layers[i].W.shape == (model.layers[i].n_in, units)
    np.testing.assert_allclose(model.predict(X_new), before, rtol=1e-10, atol=1e-10)
    assert np.array_equal(src, np.r_[np.arange(old), np.full(units - old, -1)])
    # the new neurons' incoming weights are zero, whatever the init
    assert not model.layers[i].W[:, old:].any()


# ---------------------------------------------------------------------------- the oracle
def _torch_M(model, i, X, y, loss):
    """M = A_prev_i^T dZ_j by torch autograd: a zero map from layer i's input into the next
    layer's pre-activation, its gradient taken by torch. Layers are written from torch's own
    functions and the model's numbers."""
    A = torch.as_tensor(X, dtype=torch.float64)
    aux, A_in = None, None
    for k, layer in enumerate(model.layers):
        W = torch.as_tensor(layer.W)
        b = torch.as_tensor(layer.b)
        if k == i:
            A_in = A
            aux = torch.zeros((layer.n_in, model.layers[i + 1].units), dtype=torch.float64)
            aux.requires_grad_(True)
        Z = A @ W + b
        if k == i + 1:
            Z = Z + A_in @ aux
        if k == len(model.layers) - 1:  # softmax + cce from the logits, identity + mse
            if loss == "cce":
                out = F.cross_entropy(Z, torch.as_tensor(y, dtype=torch.int64))
            else:
                out = F.mse_loss(Z, torch.as_tensor(y, dtype=torch.float64).reshape(Z.shape))
        else:
            A = TORCH_ACTS[layer.activation.name](Z)
    out.backward()
    return aux.grad.numpy()


@needs_torch
@pytest.mark.parametrize("act", ["relu", "tanh", "sigmoid", "softplus", "gelu"])
@pytest.mark.parametrize("loss", ["cce", "mse"])
def test_gradmax_rows_are_the_svd_of_torch_gradients(act, loss):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 6))
    if loss == "cce":
        y = rng.integers(0, 3, 60)
        model = lw.mlp(6, [7, 12], 3, activation=act, output_activation="softmax", seed=2,
                       dtype="float64")  # fmt: skip
    else:
        y = rng.normal(size=(60, 3))
        model = lw.mlp(6, [7, 12], 3, activation=act, seed=2, dtype="float64")
    model.fit(X, y, loss=loss, optimizer="adam", lr=0.01, epochs=5, verbose=False)
    M = _torch_M(model, 0, X, y, loss)
    np.testing.assert_allclose(surgery.gradmax_matrix(model, 0, (X, y), loss), M, rtol=1e-9,
                               atol=1e-12)  # fmt: skip
    c = np.linalg.norm(model.layers[1].W, axis=1).mean()
    k = 5  # fewer than n_next = 12: the top-k singular vectors, each of norm c
    model.widen(0, 7 + k, init="gradmax", data=(X, y), loss=loss)
    V = model.layers[1].W[7:]
    s, Vt = (t.numpy() for t in torch.linalg.svd(torch.as_tensor(M), full_matrices=True)[1:])
    for r in range(k):
        sign = np.sign(V[r] @ Vt[r])
        np.testing.assert_allclose(V[r], sign * c * Vt[r], rtol=1e-7, atol=1e-9)
    # the new incoming weights' gradient right after growth: f'(b0) M V^T, of squared
    # norm f'(b0)^2 c^2 (s_1^2 + ... + s_k^2)
    _, caches = model.forward(X)
    dU = model.backward(caches, y, loss)[0].dW[:, 7:]
    z = np.array([[model.layers[0].b[7]]])
    slope = model.layers[0].activation.backward(np.ones_like(z), z, model.layers[0].activation(z))
    np.testing.assert_allclose(dU, slope[0, 0] * M @ V.T, rtol=1e-8, atol=1e-12)
    expected = slope[0, 0] ** 2 * c**2 * np.sum(s[:k] ** 2)
    np.testing.assert_allclose(np.sum(dU**2), expected, rtol=1e-8)


def test_gradmax_beats_every_random_direction_of_the_same_spectral_norm():
    model, X, y = _classifier([6, 16], "tanh", seed=4)
    M = surgery.gradmax_matrix(model, 0, (X, y), "cce")
    c = np.linalg.norm(model.layers[1].W, axis=1).mean()
    k = 4
    best = surgery.gradmax_rows(M, k, c, np.random.default_rng(0))
    rng = np.random.default_rng(1)
    for _ in range(200):
        V = rng.normal(size=(k, 16))
        V *= c / np.linalg.norm(V, 2)  # spectral norm c
        assert np.linalg.norm(M @ V.T) <= np.linalg.norm(M @ best.T) * (1 + 1e-12)


def test_more_new_neurons_than_directions_use_every_direction_with_distinct_rows():
    model, X, y = _classifier([6], "relu", seed=5, classes=3)
    c = np.linalg.norm(model.layers[1].W, axis=1).mean()
    model.widen(0, 6 + 8, init="gradmax", data=(X, y), loss="cce")  # 8 new, n_next = 3
    V = model.layers[1].W[6:]
    np.testing.assert_allclose(V.T @ V, c**2 * 8 / 3 * np.eye(3), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(np.sqrt(np.mean(np.sum(V**2, axis=1))), c, rtol=1e-12)
    assert len({tuple(np.round(row, 12)) for row in V}) == 8


# ---------------------------------------------------------------------------- learning
@pytest.mark.parametrize("init", ["gradmax", "random"])
def test_fresh_relu_neurons_learn(init):
    """b0 = 1e-3 keeps them off the kink, where relu's slope is 0 and they would never
    move: one step changes their incoming weights."""
    model, X, y = _classifier([6, 6], "relu", seed=6)
    kw = {"data": (X, y), "loss": "cce"} if init == "gradmax" else {}
    model.widen(0, 10, init=init, **kw)
    np.testing.assert_array_equal(model.layers[0].b[6:], 1e-3)
    model.fit(X, y, loss="cce", lr=0.1, epochs=1, batch_size=80, verbose=False)
    assert np.abs(model.layers[0].W[:, 6:]).min() > 0


def test_fresh_bias_is_zero_where_the_slope_at_zero_is_not():
    for act in ("tanh", "sigmoid", "elu", "softplus", "gelu", "identity"):
        model, X, y = _classifier([4], act, seed=7, epochs=1)
        model.widen(0, 6, init="zeros")
        np.testing.assert_array_equal(model.layers[0].b[4:], 0.0)


def test_optimizer_state_of_old_weights_is_kept_and_new_weights_start_at_zero():
    model, X, y = _classifier([6, 5], "tanh", seed=8)
    before = copy.deepcopy(model.optimizer.state)
    model.widen(0, 9, init="gradmax", data=(X, y), loss="cce")
    state = model.optimizer.state
    for name, arr in before["dense_0/W"].items():
        if isinstance(arr, np.ndarray) and arr.shape == (5, 6):
            np.testing.assert_array_equal(state["dense_0/W"][name][:, :6], arr)
            assert not state["dense_0/W"][name][:, 6:].any()
    for name, arr in before["dense_1/W"].items():
        if isinstance(arr, np.ndarray) and arr.shape == (6, 5):
            np.testing.assert_array_equal(state["dense_1/W"][name][:6], arr)
            assert not state["dense_1/W"][name][6:].any()
    for name, arr in before["dense_1/b"].items():  # the compensated bias keeps its state
        np.testing.assert_array_equal(state["dense_1/b"][name], arr)
    model.fit(X, y, loss="cce", epochs=1, verbose=False)  # Adam carries on


# ---------------------------------------------------------------------------- refusals
@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"init": "grad_max"}, ValueError, "init must be one of"),
        ({"init": 3}, TypeError, "init must be one of"),
        ({"init": "gradmax"}, ValueError, r"needs data=\(X, y\)"),
        ({"init": "gradmax", "data": "X"}, ValueError, r"needs data=\(X, y\)"),
        ({"init": "gradmax", "data": "Xy"}, ValueError, "needs loss="),
        ({"init": "gradmax", "data": "Xy", "loss": "nope"}, ValueError, "loss"),
        ({"init": "gradmax", "data": "Xy-bad-width", "loss": "cce"}, ValueError, "features"),
        ({"init": "gradmax", "data": "Xy-short", "loss": "cce"}, ValueError, "samples"),
        ({"init": "random", "noise": 0.1}, ValueError, "apply to init='copy' only"),
        ({"init": "zeros", "split": 0.5}, ValueError, "apply to init='copy' only"),
        ({"init": "random", "data": "Xy"}, ValueError, "init='gradmax' only"),
        ({"units": 10**9}, ValueError, "widen: layer 0 at 1000000000 units"),
        (
            {"units": 6, "init": "gradmax", "data": "Xy-bad-width", "loss": "cce"},
            ValueError,
            "features",
        ),  # checked even when nothing would change
        ({"units": 10**9, "init": "gradmax", "data": "Xy", "loss": "cce"}, ValueError, "units"),
    ],
)
def test_refused_widen_leaves_the_model_bit_identical(kwargs, error, match):
    model, X, y = _classifier([6, 5], "relu", seed=9)
    kwargs = dict(kwargs)
    units = kwargs.pop("units", 9)
    data = {"X": X, "Xy": (X, y), "Xy-bad-width": (X[:, :3], y), "Xy-short": (X, y[:-1])}
    if "data" in kwargs:
        kwargs["data"] = data[kwargs["data"]]
    before = _snapshot(model)
    rng_state = copy.deepcopy(model.rng.bit_generator.state)
    with pytest.raises(error, match=match):
        model.widen(0, units, **kwargs)
    assert _same(before, _snapshot(model))
    assert model.rng.bit_generator.state == rng_state


def test_gradmax_refuses_a_batchnorm_between_and_changes_nothing():
    model = lw.Sequential(
        [lw.Dense(5, "relu"), lw.BatchNorm(), lw.Dense(2, "softmax")],
        input_dim=3, seed=0, dtype="float64",
    )  # fmt: skip
    X = np.random.default_rng(0).normal(size=(20, 3))
    y = np.arange(20) % 2
    before = _snapshot(model)
    with pytest.raises(ValueError, match="use init='copy'"):
        model.widen(0, 8, init="gradmax", data=(X, y), loss="cce")
    assert _same(before, _snapshot(model))


# the twin check of tests/twins.py: a refused call leaves the model as it was
REFUSED = {
    "widen to fewer units": (ValueError, lambda m: m.widen(0, 2)),
    "widen the output layer": (ValueError, lambda m: m.widen(1, 4)),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_refused_call_changes_nothing(case):
    twins.assert_refusal_changes_nothing(*REFUSED[case])


TOL = dict(rtol=1e-12, atol=1e-12)


# -------------------------------------------------------------- copies (Net2WiderNet)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_widen_preserves_the_function(net_cases, data):
    case = data.draw(net_cases)
    assume(case.widths)
    model, _, _, X_new = trained_case(case)
    i = data.draw(st.integers(0, len(case.widths) - 1))
    old = model.layers[i].units
    units = old + data.draw(st.integers(1, 10))
    before = model.predict(X_new)
    src = surgery.widen(model, i, units)
    assert model.layers[i].W.shape == (model.layers[i].n_in, units)
    assert model.layers[i + 1].W.shape[0] == units
    np.testing.assert_allclose(model.predict(X_new), before, **TOL)
    # new neurons are copies of the neuron src names, drawn among the old ones
    assert np.array_equal(src[:old], np.arange(old)) and src.min() >= 0 and src.max() < old


def test_widen_is_net2net_by_hand():
    model = lw.mlp(2, [3], 2, activation="tanh", seed=3, dtype="float64")
    W0, b0, W1 = model.layers[0].W.copy(), model.layers[0].b.copy(), model.layers[1].W.copy()
    src = surgery.widen(model, 0, 7)
    counts = np.bincount(src, minlength=3)
    for c, k in enumerate(src):
        np.testing.assert_array_equal(model.layers[0].W[:, c], W0[:, k])
        assert model.layers[0].b[c] == b0[k]
        np.testing.assert_allclose(model.layers[1].W[c], W1[k] / counts[k], rtol=1e-15)
    for k in range(3):  # the copies of k together send what k sent alone
        np.testing.assert_allclose(model.layers[1].W[src == k].sum(axis=0), W1[k], rtol=1e-14)


def test_widen_noise_breaks_symmetry_slightly_and_is_seeded():
    X, _ = regression_data()
    runs = []
    for _ in range(2):
        model = lw.mlp(3, [8], 1, activation="relu", seed=4, dtype="float64")
        before = model.predict(X)
        src = surgery.widen(model, 0, 12, noise=0.01)
        runs.append(model.layers[0].W.copy())
        W = model.layers[0].W
        diff = W[:, 8:] - W[:, src[8:]]
        assert np.all(diff != 0)
        assert np.abs(diff).max() < 0.1 * W[:, :8].std()  # small relative to the weights
        rel = np.abs(model.predict(X) - before).max() / np.abs(before).max()
        assert 0 < rel < 0.05
    np.testing.assert_array_equal(runs[0], runs[1])


def test_widened_mid_training_ends_no_worse_than_before_the_change():
    X, y = regression_data(seed=11, n=256)
    model = lw.mlp(3, [4], 1, activation="tanh", seed=11, dtype="float64")
    at_change = {}

    def grow(epoch, logs):
        if epoch == 100:
            at_change["loss"] = model.evaluate(X, y, "mse")
            model.widen(0, 16, noise=0.05)

    adam = lw.optimizers.get("adam", lr=0.01) if "adam" in lw.optimizers.names() else "sgd"
    h = model.fit(X, y, loss="mse", optimizer=adam, lr=0.05, epochs=200, verbose=False,
                  callbacks=[lw.callbacks.LambdaCallback(on_epoch_end=grow)])  # fmt: skip
    assert model.layers[0].units == 16
    assert [e["epoch"] for e in h.events] == [100]
    final = model.evaluate(X, y, "mse")
    assert final <= at_change["loss"]
    assert h.loss[-1] < h.loss[100]


def test_widen_with_split_keeps_the_function_and_lets_the_copies_learn_apart():
    X, y = lw.datasets.load("moons", n_samples=80, seed=1)
    model = lw.mlp(2, [3], 1, activation="tanh", output_activation="sigmoid", seed=0,
                   dtype="float64")  # fmt: skip
    model.fit(X, y, loss="bce", lr=0.5, epochs=20, verbose=False)
    before, W_next = model.predict(X), model.layers[1].W.copy()
    src = lw.surgery.widen(model, 0, 9, split=0.5)
    np.testing.assert_allclose(model.predict(X), before, rtol=0, atol=1e-12)
    rows = model.layers[1].W
    for k in range(3):  # the copies' outgoing rows add back up to the original row
        np.testing.assert_allclose(rows[src == k].sum(axis=0), W_next[k], rtol=1e-12)
    copied = next(k for k in range(3) if np.count_nonzero(src == k) > 1)
    a, b = np.flatnonzero(src == copied)[:2]
    assert rows[a, 0] != rows[b, 0]  # unequal shares
    model.fit(X, y, loss="bce", lr=0.5, epochs=5, verbose=False)
    W = model.layers[0].W
    assert not np.allclose(W[:, a], W[:, b])  # different gradients: they learn apart
    equal = lw.mlp(2, [3], 1, activation="tanh", output_activation="sigmoid", seed=0)
    with pytest.raises(ValueError, match=r"split must be a number in \[0, 1\)"):
        equal.widen(0, 5, split=1.0)
