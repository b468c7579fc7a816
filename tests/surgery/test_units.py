"""layerwise.surgery._units: neuron-level edits. The optimizer's state follows each neuron
(copies take their source's moments), per-unit layers between (BatchNorm, Dropout) follow
along and others are refused, and a change is recorded for the next fit's History.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

import layerwise as lw
from layerwise import surgery
from layerwise.layers import Layer
from tests.surgery.helpers import (
    STATEFUL,
    param_shaped,
    regression_data,
)

TOL = dict(rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("make", STATEFUL, ids=lambda m: type(m()).__name__)
def test_widen_remaps_optimizer_state(make):
    X, y = regression_data()
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
        moved = param_shaped(old_state[key], old_shapes[key])
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
    X, _ = regression_data()
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
    X, y = regression_data(seed=16)
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
