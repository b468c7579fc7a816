"""layerwise.surgery._ops: deepen, resize, insert, remove, freeze, and the layers' names.

Oracles: the network's own outputs *before* the change (a function-preserving change must
reproduce them to 1e-12 on fresh inputs, in float64), the optimizer state saved before the
change, and the weights saved before training a frozen layer.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import layerwise as lw
from layerwise import surgery
from tests import twins
from tests.helpers import check_shapes
from tests.surgery.helpers import STATEFUL, param_shaped, regression_data, trained_case

HIDDEN_ACTIVATIONS = (
    "identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "gelu",
)  # fmt: skip
NONNEGATIVE = {"relu", "sigmoid", "softplus", "softmax"}
IDENTITY_ON_NONNEGATIVE = {"relu", "leaky_relu", "elu"}
ALL_ACTIVATIONS = (*HIDDEN_ACTIVATIONS, "softmax")
TOL = dict(rtol=1e-12, atol=1e-12)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_deepen_preserves_or_refuses(net_cases, data):
    case = data.draw(net_cases)
    assume(case.widths)
    model, _, _, X_new = trained_case(case)
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
    model, _, _, X_new = trained_case(case)
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


def test_float32_widen_and_deepen_keep_dtype_and_function():
    X, _ = regression_data()
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


@pytest.mark.parametrize("make", STATEFUL[:2], ids=lambda m: type(m()).__name__)
def test_resize_deepen_insert_remove_keep_state_of_untouched_layers(make):
    X, y = regression_data()
    model = lw.mlp(3, [6, 5], 1, activation="relu", seed=9, dtype="float64")
    model.fit(X, y, loss="mse", optimizer=make(), epochs=5, verbose=False)
    n0, n1, n2 = (layer.name for layer in model.layers)
    old = copy.deepcopy(model.optimizer.state)
    v = next(iter(param_shaped(old[f"{n1}/W"], (6, 5))))
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
    X, y = regression_data(seed=10)
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


# ---------------------------------------------------------------------------- freeze
@pytest.mark.parametrize("make", STATEFUL, ids=lambda m: type(m()).__name__)
def test_frozen_layer_stays_bit_identical(make):
    X, y = regression_data(seed=12)
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


# ------------------------------------------------------------- the guide, docs/on-the-fly.md
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


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    return X, y


def test_add_insert_remove_before_training(data):
    X, y = data
    model = lw.Sequential(input_dim=3, seed=0)
    model.add(lw.Dense(4, "relu")).add(lw.Dense(1, "sigmoid"))
    model.insert(1, lw.Dense(6, "tanh"))
    assert [layer.units for layer in model.layers] == [4, 6, 1]
    check_shapes(model)
    removed = model.remove(0)
    assert removed.units == 4 and [layer.units for layer in model.layers] == [6, 1]
    check_shapes(model)
    history = model.fit(X, y, loss="bce", lr=0.5, epochs=30, verbose=False)
    assert history.loss[-1] < history.loss[0]
    assert len({layer.name for layer in model.layers}) == len(model.layers)


def test_change_the_network_after_training_and_keep_training(data):
    X, y = data
    model = lw.mlp(3, [8], 1, activation="tanh", output_activation="sigmoid", seed=0)
    model.fit(X, y, loss="bce", lr=0.5, epochs=50, verbose=False)
    out_W = model.layers[1].W.copy()

    model.insert(1, lw.Dense(5, "relu"))  # the output layer now has 5 inputs instead of 8
    check_shapes(model)
    np.testing.assert_array_equal(model.layers[2].W, out_W[:5])  # surviving rows kept
    model.add(lw.Dense(1, "sigmoid"))
    model.remove(2)  # the old output layer: the new one takes 5 inputs
    model.insert(0, lw.Dense(3, "elu"))
    assert [layer.units for layer in model.layers] == [3, 8, 5, 1]
    check_shapes(model)
    assert np.isfinite(model.predict(X)).all()

    history = model.fit(X, y, loss="bce", lr=0.5, epochs=60, verbose=False)
    assert history.epoch[0] == 51
    assert np.isfinite(history.loss).all() and history.loss[-1] < history.loss[0]
    changes = [e["change"] for e in model.events]
    assert len(changes) == 4 and all(e["epoch"] == 50 for e in model.events)
    assert "insert" in changes[0] and "remove" in changes[2]
    assert len({layer.name for layer in model.layers}) == 4


def test_remove_repairs_the_next_layer():
    model = lw.mlp(2, [4, 6], 1, seed=0)
    old = model.layers[2].W.copy()
    model.remove(1)  # layer 2 (1 output) now reads 4 inputs instead of 6
    assert model.layers[1].W.shape == (4, 1)
    np.testing.assert_array_equal(model.layers[1].W, old[:4])
