"""Sequential: structure, the three steps by hand, changes before and after training,
summary, config, stale caches and grads after a change of shape, the seed."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import layerwise as lw

RNG = np.random.default_rng(0)
X = RNG.normal(size=(20, 3))
Y_BIN = (X[:, 0] > 0).astype(float)


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    return X, y


def _check_shapes(model):
    n_in = model.input_dim
    for layer in model.layers:
        assert layer.W.shape == (n_in, layer.units) and layer.b.shape == (layer.units,)
        n_in = layer.units


@pytest.mark.parametrize("hidden", [[], [5], [7, 1, 16], [2, 3, 4, 5]])
def test_mlp_builds_any_depth_and_width(hidden):
    model = lw.mlp(3, hidden, 2, activation="elu", output_activation="softmax", seed=0)
    assert [layer.units for layer in model.layers] == [*hidden, 2]
    assert [layer.activation.name for layer in model.layers] == ["elu"] * len(hidden) + ["softmax"]
    _check_shapes(model)
    A, caches = model.forward(np.ones((4, 3)))
    assert A.shape == (4, 2) and len(caches) == len(hidden) + 1
    np.testing.assert_allclose(A.sum(axis=1), 1.0, rtol=1e-6)


def test_mlp_with_one_activation_per_layer():
    model = lw.mlp(2, [3, 4], 1, activation=["tanh", "gelu"], seed=0)
    assert [layer.activation.name for layer in model.layers] == ["tanh", "gelu", "identity"]
    assert lw.mlp(2, 6, 1).layers[0].units == 6  # one int: one hidden layer
    with pytest.raises(ValueError, match="activation has 1 entries but hidden has 2 layers"):
        lw.mlp(2, [3, 4], 1, activation=["tanh"])


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
    _check_shapes(model)


def test_add_insert_remove_before_training(data):
    X, y = data
    model = lw.Sequential(input_dim=3, seed=0)
    model.add(lw.Dense(4, "relu")).add(lw.Dense(1, "sigmoid"))
    model.insert(1, lw.Dense(6, "tanh"))
    assert [layer.units for layer in model.layers] == [4, 6, 1]
    _check_shapes(model)
    removed = model.remove(0)
    assert removed.units == 4 and [layer.units for layer in model.layers] == [6, 1]
    _check_shapes(model)
    history = model.fit(X, y, loss="bce", lr=0.5, epochs=30, verbose=False)
    assert history.loss[-1] < history.loss[0]
    assert len({layer.name for layer in model.layers}) == len(model.layers)


def test_change_the_network_after_training_and_keep_training(data):
    X, y = data
    model = lw.mlp(3, [8], 1, activation="tanh", output_activation="sigmoid", seed=0)
    model.fit(X, y, loss="bce", lr=0.5, epochs=50, verbose=False)
    out_W = model.layers[1].W.copy()

    model.insert(1, lw.Dense(5, "relu"))  # the output layer now has 5 inputs instead of 8
    _check_shapes(model)
    np.testing.assert_array_equal(model.layers[2].W, out_W[:5])  # surviving rows kept
    model.add(lw.Dense(1, "sigmoid"))
    model.remove(2)  # the old output layer: the new one takes 5 inputs
    model.insert(0, lw.Dense(3, "elu"))
    assert [layer.units for layer in model.layers] == [3, 8, 5, 1]
    _check_shapes(model)
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


def test_summary_lists_layers_units_activations_and_parameters():
    model = lw.mlp(30, [16, 8], 3, activation=["relu", "tanh"], output_activation="softmax")
    text = model.summary()
    rows = [line.split() for line in text.splitlines() if re.match(r"^\d+\s", line)]
    assert rows == [
        ["0", "dense_0", "16", "relu", "496"],
        ["1", "dense_1", "8", "tanh", "136"],
        ["2", "dense_2", "3", "softmax", "27"],
    ]
    assert text.splitlines()[-1] == f"total parameters: {30 * 16 + 16 + 16 * 8 + 8 + 8 * 3 + 3}"
    assert model.n_params() == 659
    assert "input_dim=30" in text and "float32" in text


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
    _check_shapes(again)


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


def test_after_fit_the_state_keeps_the_callbacks_counters_not_the_callbacks():
    class Holds(lw.callbacks.Callback):
        def __init__(self):
            self.gen = (i for i in range(3))  # a generator cannot be deep-copied

    model = lw.mlp(2, [3], 1, seed=0)
    X = np.random.default_rng(0).normal(size=(20, 2))
    stop = lw.callbacks.EarlyStopping("loss", patience=50)
    model.fit(X, X[:, 0], loss="mse", epochs=3, callbacks=[Holds(), stop], verbose=False)
    assert model.state.callbacks == {"Holds": {}, "EarlyStopping": stop.get_state()}
    twin = model.copy()  # the model copies; the live callbacks were never part of it
    assert twin.state.callbacks["EarlyStopping"]["best_epoch"] == stop.best_epoch == 3


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
