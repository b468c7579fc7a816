"""On-the-fly surgery: widen, deepen, resize, freeze, insert/remove and GrowOnPlateau.

Oracles: the network's own outputs *before* the change (a function-preserving change must
reproduce them to 1e-12 on fresh inputs, in float64), the Net2Net construction written out
by hand, the optimizer state saved before the change, and the weights saved before
training a frozen layer.
"""

from __future__ import annotations

import copy
import importlib.util
import inspect
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import layerwise as lw
from layerwise import surgery
from layerwise.layers import Layer
from tests import twins

HIDDEN_ACTIVATIONS = (
    "identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "gelu",
)  # fmt: skip
NONNEGATIVE = {"relu", "sigmoid", "softplus", "softmax"}
IDENTITY_ON_NONNEGATIVE = {"relu", "leaky_relu", "elu"}
ALL_ACTIVATIONS = (*HIDDEN_ACTIVATIONS, "softmax")
TOL = dict(rtol=1e-12, atol=1e-12)


def _trained(case, epochs=3):
    """A NetCase's model after a few epochs of training, with fresh inputs to compare on."""
    model, X, y = case.build("float64")
    model.fit(X, y, loss=case.loss, lr=0.05, epochs=epochs, verbose=False)
    X_new = np.random.default_rng(case.seed + 1).normal(0.0, 1.5, (20, case.n_in))
    return model, X, y, X_new


def _regression(seed=0, n=128, d=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = np.sin(2 * X[:, 0]) + X[:, 1] * X[:, 2]
    return X, y


# ---------------------------------------------------------------------------- preservation
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_widen_preserves_the_function(net_cases, data):
    case = data.draw(net_cases)
    assume(case.widths)
    model, _, _, X_new = _trained(case)
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


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_deepen_preserves_or_refuses(net_cases, data):
    case = data.draw(net_cases)
    assume(case.widths)
    model, _, _, X_new = _trained(case)
    i = data.draw(st.integers(0, len(case.widths) - 1))
    prev = case.activations[i]
    act = data.draw(st.sampled_from([None, *ALL_ACTIVATIONS]))
    new_act = prev if act is None else act
    # the rule, written independently of the library
    ok = new_act == "identity" or (prev in NONNEGATIVE and new_act in IDENTITY_ON_NONNEGATIVE)
    before = model.predict(X_new)
    n_layers = len(model.layers)
    if not ok:
        with pytest.raises(ValueError, match="identity"):
            model.deepen(i, activation=act)
        assert len(model.layers) == n_layers
        return
    model.deepen(i, activation=act)
    new = model.layers[i + 1]
    assert len(model.layers) == n_layers + 1 and new.activation.name == new_act
    np.testing.assert_array_equal(new.W, np.eye(case.widths[i]))
    np.testing.assert_allclose(model.predict(X_new), before, **TOL)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_widen_then_deepen_then_widen_the_new_layer(net_cases, data):
    case = data.draw(net_cases)
    assume(case.widths)
    model, _, _, X_new = _trained(case)
    before = model.predict(X_new)
    i = data.draw(st.integers(0, len(case.widths) - 1))
    model.widen(i, model.layers[i].units + data.draw(st.integers(1, 5)))
    model.deepen(i, activation="identity")
    model.widen(i + 1, model.layers[i + 1].units + data.draw(st.integers(1, 5)))
    np.testing.assert_allclose(model.predict(X_new), before, **TOL)


@pytest.mark.parametrize("prev", ALL_ACTIVATIONS)
@pytest.mark.parametrize("new", ALL_ACTIVATIONS)
def test_deepen_refusals_are_justified(prev, new):
    """Every refused pair really changes the outputs when forced; every accepted one doesn't."""
    model = lw.mlp(3, [6], 2, activation=prev, seed=1, dtype="float64")
    model.layers[0].b[:] = np.linspace(-1, 1, 6)
    X = np.random.default_rng(2).normal(0, 2, (50, 3))
    before = model.predict(X)
    accepted = surgery.preserves(prev, new)
    assert accepted == (
        new == "identity" or (prev in NONNEGATIVE and new in IDENTITY_ON_NONNEGATIVE)
    )
    forced = lw.Dense(6, new)
    model.insert(1, forced)
    forced.set_weights(np.eye(6), np.zeros(6))
    change = np.abs(model.predict(X) - before).max()
    if accepted:
        assert change <= 1e-12
    else:
        assert change > 1e-6


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
    X, _ = _regression()
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


def test_float32_widen_and_deepen_keep_dtype_and_function():
    X, _ = _regression()
    model = lw.mlp(3, [8, 5], 1, activation="relu", seed=5)
    before = model.predict(X)
    model.widen(0, 13).deepen(1).widen(1, 9)
    assert all(
        layer.W.dtype == np.float32 and layer.b.dtype == np.float32 for layer in model.layers
    )
    np.testing.assert_allclose(model.predict(X), before, rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------------------- resize
def test_resize_shrink_keeps_largest_outgoing_in_order():
    model = lw.mlp(2, [5], 3, activation="relu", seed=6, dtype="float64")
    W0, b0, W1 = model.layers[0].W.copy(), model.layers[0].b.copy(), model.layers[1].W.copy()
    W1[:] = 0.1
    W1[1] = 5.0
    W1[4] = -3.0
    W1[2] = 1.0
    model.layers[1].W[:] = W1
    src = surgery.resize(model, 0, 3)
    np.testing.assert_array_equal(src, [1, 2, 4])
    np.testing.assert_array_equal(model.layers[0].W, W0[:, [1, 2, 4]])
    np.testing.assert_array_equal(model.layers[0].b, b0[[1, 2, 4]])
    np.testing.assert_array_equal(model.layers[1].W, W1[[1, 2, 4]])


def test_resize_grow_keeps_overlap_and_draws_new_weights():
    model = lw.mlp(2, [4], 1, activation="relu", seed=7, dtype="float64")
    W0, W1 = model.layers[0].W.copy(), model.layers[1].W.copy()
    src = surgery.resize(model, 0, 6)
    np.testing.assert_array_equal(src, [0, 1, 2, 3, -1, -1])
    np.testing.assert_array_equal(model.layers[0].W[:, :4], W0)
    np.testing.assert_array_equal(model.layers[1].W[:4], W1)
    assert np.all(model.layers[0].W[:, 4:] != 0) and np.all(model.layers[1].W[4:] != 0)
    np.testing.assert_array_equal(model.layers[0].b[4:], 0)


# ---------------------------------------------------------------------------- optimizer state
class TinyMomentum(lw.optimizers.Optimizer):
    """A stateful optimizer written here, independent of the library's: heavy-ball momentum
    with a per-parameter step counter that is not shaped like the parameter."""

    name = "tiny_momentum"

    def step(self, params):
        self.iterations += 1
        for key, p, g in params:
            st_ = self.state.setdefault(key, {"v": np.zeros_like(p), "t": np.zeros((), int)})
            st_["t"] += 1
            st_["v"] *= 0.9
            st_["v"] += g
            p -= self.lr * st_["v"]


def _stateful_optimizers():
    makers = [lambda: TinyMomentum(lr=0.01)]
    if "momentum" in inspect.signature(lw.optimizers.SGD).parameters:
        makers.append(lambda: lw.optimizers.SGD(lr=0.01, momentum=0.9))
    for name in lw.optimizers.names():
        if name != "sgd":
            makers.append(lambda name=name: lw.optimizers.get(name, lr=0.01))
    return makers


STATEFUL = _stateful_optimizers()


def _param_shaped(entry, shape):
    return {n: a for n, a in entry.items() if isinstance(a, np.ndarray) and a.shape == shape}


@pytest.mark.parametrize("make", STATEFUL, ids=lambda m: type(m()).__name__)
def test_widen_remaps_optimizer_state(make):
    X, y = _regression()
    model = lw.mlp(3, [6, 5], 1, activation="tanh", seed=8, dtype="float64")
    model.fit(X, y, loss="mse", optimizer=make(), epochs=5, verbose=False)
    names = [layer.name for layer in model.layers]
    old_state = copy.deepcopy(model.optimizer.state)
    old_shapes = {k: p.shape for k, p in model.parameters().items()}
    src = surgery.widen(model, 1, 9)
    state = model.optimizer.state
    assert set(state) == set(old_state)
    for key in (f"{names[0]}/W", f"{names[0]}/b", f"{names[2]}/b"):  # untouched
        for n, a in old_state[key].items():
            np.testing.assert_array_equal(state[key][n], a)
    shapes = {k: p.shape for k, p in model.parameters().items()}
    for key, axis in ((f"{names[1]}/W", 1), (f"{names[1]}/b", 0), (f"{names[2]}/W", 0)):
        moved = _param_shaped(old_state[key], old_shapes[key])
        assert moved, "a stateful optimizer keeps elementwise state"
        for n, a in moved.items():
            assert state[key][n].shape == shapes[key]
            # each neuron's state is its source's (copies take their source's moments)
            np.testing.assert_array_equal(state[key][n], np.take(a, src, axis=axis))
        for n, a in old_state[key].items():
            if n not in moved:  # step counters and other non-elementwise state are kept
                np.testing.assert_array_equal(state[key][n], a)
    history = model.fit(X, y, loss="mse", optimizer=model.optimizer, epochs=5, verbose=False)
    assert np.isfinite(history.loss).all()


@pytest.mark.parametrize("make", STATEFUL[:2], ids=lambda m: type(m()).__name__)
def test_resize_deepen_insert_remove_keep_state_of_untouched_layers(make):
    X, y = _regression()
    model = lw.mlp(3, [6, 5], 1, activation="relu", seed=9, dtype="float64")
    model.fit(X, y, loss="mse", optimizer=make(), epochs=5, verbose=False)
    n0, n1, n2 = (layer.name for layer in model.layers)
    old = copy.deepcopy(model.optimizer.state)
    v = next(iter(_param_shaped(old[f"{n1}/W"], (6, 5))))
    src = surgery.resize(model, 0, 4)  # shrink: kept neurons keep their own state
    np.testing.assert_array_equal(model.optimizer.state[f"{n1}/W"][v], old[f"{n1}/W"][v][src])
    np.testing.assert_array_equal(model.optimizer.state[f"{n0}/W"][v], old[f"{n0}/W"][v][:, src])
    surgery.resize(model, 0, 7)  # grow: new neurons start at zero
    st1 = model.optimizer.state[f"{n1}/W"][v]
    assert st1.shape == (7, 5)
    np.testing.assert_array_equal(st1[:4], old[f"{n1}/W"][v][src])
    np.testing.assert_array_equal(st1[4:], 0)
    for key in (f"{n1}/b", f"{n2}/W", f"{n2}/b"):
        for n, a in old[key].items():
            np.testing.assert_array_equal(model.optimizer.state[key][n], a)
    before = copy.deepcopy(model.optimizer.state)
    layers = list(model.layers)
    model.deepen(0)
    model.insert(3, lw.Dense(3, "relu"))  # between n1 and n2: n2's input 5 -> 3
    # names follow the positions (n1 is now dense_2, n2 dense_4); the state follows the layers
    assert [layer.name for layer in layers] == ["dense_0", "dense_2", "dense_4"]
    now = {f"{n}/{p}": f"{layer.name}/{p}" for n, layer in zip((n0, n1, n2), layers) for p in "Wb"}
    st2 = model.optimizer.state[now[f"{n2}/W"]][v]
    np.testing.assert_array_equal(st2, before[f"{n2}/W"][v][:3])
    for key in (f"{n0}/W", f"{n0}/b", f"{n1}/W", f"{n1}/b", f"{n2}/b"):
        for n, a in before[key].items():
            np.testing.assert_array_equal(model.optimizer.state[now[key]][n], a)
    removed = model.remove(1)  # the identity layer from deepen; dense_1 sees 7 inputs again
    assert all(removed is not layer for layer in model.layers)
    assert set(model.optimizer.state) <= set(model.parameters())  # its state left with it
    history = model.fit(X, y, loss="mse", optimizer=model.optimizer, epochs=5, verbose=False)
    assert np.isfinite(history.loss).all()


# ---------------------------------------------------------------------------- training goes on
def test_training_continues_and_loss_keeps_falling_after_each_change():
    X, y = _regression(seed=10)
    model = lw.mlp(3, [6], 1, activation="relu", seed=10, dtype="float64")
    h = model.fit(X, y, loss="mse", lr=0.05, epochs=30, verbose=False)
    last = h.loss[-1]
    for change in (
        lambda: model.widen(0, 10, noise=0.01),
        lambda: model.deepen(0),
        lambda: model.widen(1, 14),
        lambda: model.resize(0, 12),
        lambda: model.freeze(0),
    ):
        change()
        h = model.fit(X, y, loss="mse", lr=0.05, epochs=30, verbose=False)
        # full-batch gradient descent with a small step: the loss falls every epoch
        assert np.all(np.diff(h.loss) < 0), change
        assert h.loss[-1] < h.loss[0]
        if len(h.events) == 0:
            last = h.loss[-1]
    assert last < 0.8 * np.var(y)
    changes = [e["change"].split()[0] for e in model.events]
    assert changes == ["widen", "deepen", "widen", "resize", "freeze"]
    assert [e["epoch"] for e in model.events] == [30, 60, 90, 120, 150]


def test_widened_mid_training_ends_no_worse_than_before_the_change():
    X, y = _regression(seed=11, n=256)
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


# ---------------------------------------------------------------------------- freeze
@pytest.mark.parametrize("make", STATEFUL, ids=lambda m: type(m()).__name__)
def test_frozen_layer_stays_bit_identical(make):
    X, y = _regression(seed=12)
    model = lw.mlp(3, [6, 5], 1, activation="relu", seed=12, dtype="float64")
    model.fit(X, y, loss="mse", optimizer=make(), epochs=5, verbose=False)  # momentum built up
    model.freeze(1)
    rows = model.summary().splitlines()[4:7]  # layers 0, 1, 2
    assert ["frozen" in row for row in rows] == [False, True, False]
    W, b, W0 = model.layers[1].W.copy(), model.layers[1].b.copy(), model.layers[0].W.copy()
    model.fit(X, y, loss="mse", optimizer=model.optimizer, epochs=5, verbose=False)
    A, caches = model.forward(X)
    model.update(model.backward(caches, y, "mse"), lr=0.1)
    np.testing.assert_array_equal(model.layers[1].W, W)
    np.testing.assert_array_equal(model.layers[1].b, b)
    assert not np.array_equal(model.layers[0].W, W0)
    model.unfreeze(1)
    model.fit(X, y, loss="mse", optimizer=model.optimizer, epochs=2, verbose=False)
    assert not np.array_equal(model.layers[1].W, W)
    assert [e["change"].split()[0] for e in model.events] == ["freeze", "unfreeze"]


# ---------------------------------------------------------------------------- layers between
class PerUnit(Layer):
    """A BatchNorm-like stand-in: ``A = A_prev * g + shift`` with a learned per-unit ``g``
    and a per-unit buffer ``shift``; both must travel with their neuron."""

    param_names = ("g",)

    def __init__(self):
        super().__init__()
        self.g = self.shift = None

    @property
    def units(self):
        return self.n_in

    def build(self, n_in, rng, dtype):
        super().build(n_in, rng, dtype)
        self.g, self.shift = np.ones(n_in, dtype), np.zeros(n_in, dtype)

    def buffers(self):
        return {"shift": self.shift}

    def forward(self, A_prev, *, training=False, rng=None):
        return A_prev * self.g + self.shift, A_prev

    def backward(self, dA, cache, *, need_dA_prev=True):
        return dA * self.g, ((dA * cache).sum(axis=0),)


class Mixer(PerUnit):
    """Not per-unit: holds a (units, units) matrix."""

    def build(self, n_in, rng, dtype):
        super().build(n_in, rng, dtype)
        self.g = np.eye(n_in, dtype=dtype)


def test_widen_carries_per_unit_layers_between():
    X, _ = _regression()
    model = lw.Sequential(
        [lw.Dense(5, "tanh"), PerUnit(), lw.Dense(1, "identity")], input_dim=3, seed=13,
        dtype="float64",
    )  # fmt: skip
    rng = np.random.default_rng(0)
    model.layers[1].g[:] = rng.normal(size=5)
    model.layers[1].shift[:] = rng.normal(size=5)
    g, shift = model.layers[1].g.copy(), model.layers[1].shift.copy()
    before = model.predict(X)
    src = surgery.widen(model, 0, 9)
    np.testing.assert_array_equal(model.layers[1].g, g[src])
    np.testing.assert_array_equal(model.layers[1].shift, shift[src])
    np.testing.assert_allclose(model.predict(X), before, **TOL)
    surgery.resize(model, 0, 11)  # new units get the layer's fresh defaults
    np.testing.assert_array_equal(model.layers[1].g[9:], 1.0)
    np.testing.assert_array_equal(model.layers[1].shift[9:], 0.0)


@pytest.mark.skipif(not hasattr(lw, "BatchNorm"), reason="needs lw.BatchNorm and lw.Dropout")
def test_widen_and_deepen_through_batchnorm_and_dropout():
    X, y = _regression(seed=16)
    model = lw.Sequential(
        [lw.Dense(6, "identity"), lw.BatchNorm(activation="relu"), lw.Dropout(0.2),
         lw.Dense(4, "tanh"), lw.Dense(1, "identity")],
        input_dim=3, seed=16, dtype="float64",
    )  # fmt: skip
    model.fit(X, y, loss="mse", optimizer=STATEFUL[0](), epochs=5, batch_size=32, verbose=False)
    bn = model.layers[1]
    stats = {k: v.copy() for k, v in {**bn.params(), **bn.buffers()}.items()}
    assert np.any(stats["running_mean"] != 0)  # training moved the running statistics
    state = copy.deepcopy(model.optimizer.state[f"{bn.name}/gamma"])
    before = model.predict(X)
    src = surgery.widen(model, 0, 11)
    for k, v in {**bn.params(), **bn.buffers()}.items():
        np.testing.assert_array_equal(v, stats[k][src])
    np.testing.assert_array_equal(model.optimizer.state[f"{bn.name}/gamma"]["v"], state["v"][src])
    assert model.layers[2].units == 11
    np.testing.assert_allclose(model.predict(X), before, **TOL)
    model.deepen(1)  # after the BatchNorm: its relu counts, so the new layer is relu
    model.deepen(3)  # after the Dropout: the relu before it counts
    assert [model.layers[k].activation.name for k in (2, 4)] == ["relu", "relu"]
    np.testing.assert_allclose(model.predict(X), before, **TOL)
    with pytest.raises(ValueError, match="Dense layers only.*layer 0"):
        model.widen(1, 12)
    h = model.fit(X, y, loss="mse", optimizer=model.optimizer, epochs=5, batch_size=32,
                  verbose=False)  # fmt: skip
    assert np.isfinite(h.loss).all()


def test_widen_refuses_a_layer_between_that_is_not_per_unit():
    model = lw.Sequential([lw.Dense(4), Mixer(), lw.Dense(1)], input_dim=2, seed=0)
    W = model.layers[0].W.copy()
    with pytest.raises(ValueError, match="layer 1 \\(Mixer\\).*shape \\(4, 4\\)"):
        model.widen(0, 6)
    np.testing.assert_array_equal(model.layers[0].W, W)  # nothing half-changed
    with pytest.raises(ValueError, match="applies to Dense layers"):
        model.widen(1, 6)


# ---------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda m: m.widen(5, 10), ValueError, "out of range"),
        (lambda m: m.widen(-4, 10), ValueError, "out of range"),
        (lambda m: m.deepen(3), ValueError, "out of range"),
        (lambda m: m.resize(7, 3), ValueError, "out of range"),
        (lambda m: m.freeze(3), ValueError, "out of range"),
        (lambda m: m.unfreeze(-9), ValueError, "out of range"),
        (lambda m: m.widen(0, 2), ValueError, "fewer than the 4 neurons.*resize\\(0, 2\\)"),
        (lambda m: m.widen(2, 5), ValueError, "output layer"),
        (lambda m: m.widen(-1, 5), ValueError, "output layer"),
        (lambda m: m.deepen(2), ValueError, "output layer"),
        (lambda m: m.resize(2, 5), ValueError, "output layer"),
        (lambda m: m.remove(2), ValueError, "output layer"),
        (lambda m: m.resize(0, 0), ValueError, "positive.*remove"),
        (lambda m: m.widen(0, -3), ValueError, "positive"),
        (lambda m: m.widen(0, 5.0), TypeError, "integer"),
        (lambda m: m.widen(0, 6, noise=-0.1), ValueError, "noise"),
        (lambda m: m.widen(0, 6, noise=float("nan")), ValueError, "noise"),
        (lambda m: m.widen("0", 6), TypeError, "integer"),
        (lambda m: m.deepen(0, activation="tanh"), ValueError, 'activation="identity"'),
        (lambda m: m.deepen(1), ValueError, "tanh\\(a\\) != a"),
        (lambda m: m.deepen(0, activation="nope"), ValueError, "valid names"),
    ],
)
def test_errors(call, exc, match):
    model = lw.mlp(2, [4, 3], 1, activation=["relu", "tanh"], seed=0)
    weights = {k: v.copy() for k, v in model.parameters().items()}
    with pytest.raises(exc, match=match):
        call(model)
    assert {k: v.shape for k, v in model.parameters().items()} == {
        k: v.shape for k, v in weights.items()
    }


def test_unbuilt_model_is_refused_clearly():
    model = lw.Sequential([lw.Dense(4), lw.Dense(1)])
    with pytest.raises(ValueError, match="not built"):
        model.widen(0, 6)


def test_deepen_refusal_message_explains_and_suggests():
    model = lw.mlp(2, [4], 1, activation="tanh", seed=0)
    with pytest.raises(ValueError) as info:
        model.deepen(0)
    msg = str(info.value)
    assert "tanh(a) != a" in msg and 'activation="identity"' in msg
    model = lw.mlp(2, [4], 1, activation="sigmoid", seed=0)
    with pytest.raises(ValueError, match='"identity".*or activation="relu"'):
        model.deepen(0)
    model = lw.mlp(2, [4], 1, activation="identity", seed=0)
    with pytest.raises(ValueError, match="can be negative"):
        model.deepen(0, activation="relu")


# ---------------------------------------------------------------------------- GrowOnPlateau
def _plateau_data():
    rng = np.random.default_rng(14)
    X = rng.normal(size=(200, 2))
    y = ((X[:, 0] ** 2 + X[:, 1] ** 2) < 1.2).astype(float)
    return X, y


def test_grow_on_plateau_widens_then_adds_a_layer_and_keeps_learning():
    X, y = _plateau_data()
    fixed = lw.mlp(2, [2], 1, activation="relu", output_activation="sigmoid", seed=14,
                   dtype="float64")  # fmt: skip
    model = fixed.copy()
    h_fixed = fixed.fit(X, y, loss="bce", lr=0.5, epochs=300, verbose=False)
    grow = lw.callbacks.GrowOnPlateau(patience=5, widen_by=3, max_units=8, max_layers=2,
                                      monitor="loss", min_delta=1e-2)  # fmt: skip
    h = model.fit(X, y, loss="bce", lr=0.5, epochs=300, callbacks=[grow], verbose=False)
    kinds = [e["change"].split()[0] for e in h.events]
    assert kinds == ["widen", "widen", "deepen"], kinds
    assert [layer.units for layer in model.layers] == [8, 8, 1]
    assert model.layers[1].activation.name == "relu"
    # two relu units cannot draw a circle; the grown network can
    assert h_fixed.metrics["accuracy"][-1] < 0.8 < 0.95 < h.metrics["accuracy"][-1]
    assert h.loss[-1] < h.loss[0]


def test_grow_on_plateau_preserves_the_function_at_each_growth():
    X, y = _plateau_data()
    model = lw.mlp(2, [3], 1, activation="tanh", output_activation="sigmoid", seed=15,
                   dtype="float64")  # fmt: skip
    grow = lw.callbacks.GrowOnPlateau(patience=1, add_layer=True, max_layers=3, monitor="loss")
    model.fit(X, y, loss="bce", epochs=2, verbose=False)
    grow.set_context(model, None)
    for _ in range(3):
        before = model.predict(X)
        grow.grow()
        np.testing.assert_allclose(model.predict(X), before, **TOL)
    # tanh layers: the only preserving new layer is linear; max_layers caps the depth
    assert [layer.activation.name for layer in model.layers] == [
        "tanh",
        "identity",
        "identity",
        "sigmoid",
    ]
    assert grow.grow() is None


def test_grow_on_plateau_needs_validation_loss_or_says_so():
    X, y = _plateau_data()
    model = lw.mlp(2, [2], 1, output_activation="sigmoid", seed=0)
    with pytest.raises(ValueError, match="val_loss.*validation_data"):
        model.fit(X, y, loss="bce", epochs=2, verbose=False,
                  callbacks=[lw.callbacks.GrowOnPlateau()])  # fmt: skip
    h = model.fit(X, y, loss="bce", epochs=6, verbose=False, validation_split=0.25,
                  callbacks=[lw.callbacks.GrowOnPlateau(patience=1, min_delta=1.0)])  # fmt: skip
    assert len(h.events) == 5  # after the first epoch it never improves by 1.0: grows each time


@pytest.mark.parametrize(
    "kwargs", [dict(patience=0), dict(widen_by=-1), dict(max_units=0), dict(min_delta=-1.0),
               dict(noise=float("inf")), dict(patience=2.5)]
)  # fmt: skip
def test_grow_on_plateau_bad_arguments(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        lw.callbacks.GrowOnPlateau(**kwargs)


def test_grow_on_plateau_without_hidden_layer_is_refused():
    X, y = _plateau_data()
    model = lw.mlp(2, [], 1, output_activation="sigmoid", seed=0)
    with pytest.raises(ValueError, match="hidden layer"):
        model.fit(X, y, loss="bce", epochs=2, verbose=False,
                  callbacks=[lw.callbacks.GrowOnPlateau(monitor="loss")])  # fmt: skip


# ---------------------------------------------------------------------------- docs and demo
ROOT = Path(__file__).resolve().parents[2]


def test_the_guide_runs(tmp_path, monkeypatch):
    """Every ```python block of docs/on-the-fly.md, in order, in one namespace."""
    pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)
    text = (ROOT / "docs" / "on-the-fly.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 8
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "on-the-fly.md", "exec"), namespace)
    grown = namespace["history"].events
    assert [e["change"].split()[0] for e in grown][:2] == ["widen", "widen"]
    namespace["lw"].plot.close(namespace["fig"])


def test_grow_demo_grown_network_beats_the_fixed_one(tmp_path):
    pytest.importorskip("matplotlib")
    spec = importlib.util.spec_from_file_location("grow_demo", ROOT / "examples" / "grow_demo.py")
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    out = tmp_path / "grow.png"
    runs = demo.main(out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [e["epoch"] for e in runs["grown"].events] == [200, 400]
    assert runs["grown"].val_loss[-1] < 0.5 * runs["fixed 2-4-1"].val_loss[-1]


def test_cli_train_grow(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    from layerwise import cli

    args = ["train", "circles", "--hidden", "2", "--epochs", "300", "--lr", "0.5", "--quiet"]
    grow = ["--grow", "patience=5,widen_by=3,max_units=8,max_layers=1"]
    assert cli.main([*args, *grow, "--out", str(tmp_path / "grown")]) == 0
    assert cli.main([*args, "--out", str(tmp_path / "fixed")]) == 0
    grown, fixed = (lw.load(tmp_path / name / "model.npz") for name in ("grown", "fixed"))
    assert [layer.units for layer in grown.layers] == [8, 1]
    assert [e["change"] for e in grown.history.events] == [
        "widen layer 0: 2 -> 5 units",
        "widen layer 0: 5 -> 8 units",
    ]
    assert grown.history.val_loss[-1] < fixed.history.val_loss[-1]
    capsys.readouterr()
    assert cli.main(["train", "circles", "--grow", "widen_by=0"]) == 2
    assert "widen_by must be a positive integer, got 0" in capsys.readouterr().err
    assert cli.main(["train", "circles", "--grow", "colour=red"]) == 2
    assert "unknown setting 'colour'; valid: patience" in capsys.readouterr().err


def test_a_changed_model_saves_loads_and_resumes_bit_for_bit(tmp_path):
    X, y = _regression(seed=17)
    model = lw.mlp(3, [4], 1, seed=17, dtype="float64")
    model.fit(X, y, loss="mse", optimizer=STATEFUL[-1](), epochs=5, verbose=False)
    model.widen(0, 9, noise=0.1).deepen(0).freeze(1)
    lw.save(model, tmp_path / "m.npz")
    loaded = lw.load(tmp_path / "m.npz")
    assert [layer.units for layer in loaded.layers] == [9, 9, 1]
    assert [layer.trainable for layer in loaded.layers] == [True, False, True]
    assert loaded.events == model.events
    a = model.fit(X, y, loss="mse", epochs=3, verbose=False)
    b = loaded.fit(X, y, loss="mse", epochs=3, verbose=False)
    assert a.loss == b.loss


def test_history_of_the_next_fit_records_a_change_made_between_fits():
    X, y = lw.datasets.load("moons", n_samples=60, seed=0)
    model = lw.mlp(2, [4], 1, activation="tanh", output_activation="sigmoid", seed=0)
    first = model.fit(X, y, loss="bce", lr=0.1, epochs=5, verbose=False)
    model.widen(0, 6)
    second = model.fit(X, y, loss="bce", lr=0.1, epochs=5, verbose=False)
    assert first.events == []
    assert [e["epoch"] for e in second.events] == [5]
    assert "widen layer 0" in second.events[0]["change"]
    assert second.epoch[0] == 6


def test_signatures_follow_the_design_contract():
    # DESIGN.md: model.widen(i, units, noise=0.0) and model.deepen(i): positional calls work
    X, _ = lw.datasets.load("moons", n_samples=30, seed=0)
    model = lw.mlp(2, [4], 1, activation="relu", seed=0, dtype="float64")
    before = model.predict(X)
    model.widen(0, 6, 0.0)
    model.deepen(0, "identity")
    np.testing.assert_allclose(model.predict(X), before, rtol=0, atol=1e-12)
    assert [layer.units for layer in model.layers] == [6, 6, 1]


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
    with pytest.raises(ValueError, match=r"split must be in \[0, 1\)"):
        equal.widen(0, 5, split=1.0)


# ------------------------------------------------------------------------------ layer names
def _names(model) -> list[str]:
    return [layer.name for layer in model.layers]


def _summary_names(model) -> list[str]:
    rows = model.summary().splitlines()[4:-2]  # between the header's rule and the total's
    return [row.split()[1] for row in rows]


def test_names_follow_the_network_order_after_surgery_and_the_state_follows_them():
    # the grow demo's summary read dense_0, dense_2, dense_1 after a deepen: names were
    # handed out in order of creation, not of position
    X, y = lw.datasets.load("moons", n_samples=60, seed=0)
    model = lw.mlp(2, [4], 1, activation="relu", output_activation="sigmoid", seed=0)
    model.fit(X, y, loss="bce", optimizer="adam", lr=0.01, epochs=3, verbose=False)
    model.widen(0, 6)
    out_state = copy.deepcopy(model.optimizer.state["dense_1/W"])
    before = model.predict(X)
    model.deepen(0)
    assert _names(model) == _summary_names(model) == ["dense_0", "dense_1", "dense_2"]
    np.testing.assert_allclose(model.predict(X), before, rtol=1e-5, atol=1e-6)
    # the output layer's Adam moments moved with it, from dense_1 to dense_2
    for slot, value in out_state.items():
        np.testing.assert_array_equal(model.optimizer.state["dense_2/W"][slot], value)
    assert not any(k.startswith("dense_1/") for k in model.optimizer.state)  # new: no state
    assert set(model.optimizer.state) <= set(model.parameters())
    model.fit(X, y, loss="bce", epochs=2, verbose=False)  # and training goes on
    assert set(model.optimizer.state) == set(model.parameters())

    model.insert(0, lw.Dropout(0.1))
    assert _names(model) == ["dropout_0", "dense_1", "dense_2", "dense_3"]
    assert set(model.optimizer.state) <= set(model.parameters())
    model.remove(0)
    model.remove(1)
    assert _names(model) == _summary_names(model) == ["dense_0", "dense_1"]
    assert set(model.optimizer.state) == set(model.parameters())


def test_names_a_user_gave_are_kept():
    model = lw.mlp(2, [4, 4], 1, seed=0)
    model.layers[1].name = "bottleneck"
    model.insert(0, lw.Dense(3))
    assert _names(model) == ["dense_0", "dense_1", "bottleneck", "dense_3"]
    # a Dropout the user named like a Dense layer's position: no name is moved onto it
    model = lw.mlp(2, [4], 1, activation="relu", seed=0).insert(1, lw.Dropout(0.1))
    model.layers[1].name = "dense_1"
    model.deepen(0)
    assert _names(model)[2] == "dense_1" and len(set(_names(model))) == 4


def test_the_grow_demo_summary_lists_its_layers_in_order(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("grow_demo", ROOT / "examples" / "grow_demo.py")
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    pytest.importorskip("matplotlib")
    demo.main(tmp_path / "grow.png")
    table = capsys.readouterr().out.split("Sequential (")[1]
    rows = [line.split() for line in table.splitlines() if line[:1].isdigit()]
    assert [r[:3] for r in rows] == [
        ["0", "dense_0", "24"],
        ["1", "dense_1", "24"],
        ["2", "dense_2", "1"],
    ]


def binary(**kwargs):
    return lw.mlp(2, [3], 1, output_activation="sigmoid", seed=0, **kwargs)


@pytest.mark.parametrize("i", [1, -1])
def test_remove_the_output_layer(i):
    with pytest.raises(ValueError, match="layer 1 is the output layer and cannot be removed"):
        binary().remove(i)


@pytest.mark.parametrize("i", [2, 5, -3])
def test_layer_index_out_of_range(i):
    with pytest.raises(
        ValueError,
        match=rf"layer index {i} is out of range: the model has 2 "
        r"layer\(s\) \(valid: 0..1\)",
    ):
        binary().remove(i)


def test_layer_index_not_an_integer():
    with pytest.raises(TypeError, match="layer index must be an integer, got str '0'"):
        binary().remove("0")


@pytest.mark.parametrize("i", [3, -1])
def test_insert_position_out_of_range(i):
    with pytest.raises(ValueError, match=rf"insert position {i} is out of range \(valid: 0..2\)"):
        binary().insert(i, lw.Dense(2))


def test_add_something_that_is_not_a_new_layer():
    model = binary()
    with pytest.raises(TypeError, match="expected a Layer such as lw.Dense"):
        model.add("dense")
    with pytest.raises(ValueError, match="is already in this model; create a new one"):
        model.add(model.layers[0])


# the twin check of tests/twins.py: a refused call leaves the model as it was
REFUSED = {
    "insert at a bad position": (ValueError, lambda m: m.insert(7, lw.Dense(3))),
    "insert a layer too large for memory": (ValueError, lambda m: m.insert(1, lw.Dense(10**10))),
    "add a non-layer": (TypeError, lambda m: m.add("dense")),
    "add a layer already in the model": (ValueError, lambda m: m.add(m.layers[0])),
    "remove the output layer": (ValueError, lambda m: m.remove(1)),
    "deepen a bad index": (ValueError, lambda m: m.deepen(5)),
    "freeze a bad index": (TypeError, lambda m: m.freeze("0")),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_refused_call_changes_nothing(case):
    twins.assert_refusal_changes_nothing(*REFUSED[case])
