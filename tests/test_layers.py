"""Dense: the forward formula, the cache, and backward against finite differences."""

from __future__ import annotations

import numpy as np
import pytest

import layerwise as lw
from layerwise.layers import Cache, Dense, Grads


def _built(units=3, activation="tanh", n_in=4, dtype=np.float64, seed=0):
    layer = Dense(units, activation)
    layer.build(n_in, np.random.default_rng(seed), np.dtype(dtype))
    layer.b[:] = np.random.default_rng(seed + 1).normal(size=units)
    return layer


def test_build_shapes_and_dtype():
    layer = Dense(5, "relu")
    assert not layer.built
    layer.build(3, np.random.default_rng(0), np.dtype(np.float32))
    assert layer.built and layer.n_in == 3 and layer.units == 5
    assert layer.W.shape == (3, 5) and layer.b.shape == (5,)
    assert layer.W.dtype == np.float32 and layer.b.dtype == np.float32
    assert layer.W.flags.c_contiguous
    assert layer.n_params() == 3 * 5 + 5


def test_forward_is_the_formula_and_caches_what_backward_needs():
    layer = _built()
    X = np.random.default_rng(2).normal(size=(6, 4))
    A, cache = layer.forward(X)
    np.testing.assert_allclose(A, np.tanh(X @ layer.W + layer.b), rtol=1e-15)
    assert isinstance(cache, Cache)
    assert cache._fields == ("A_prev", "W", "b", "Z", "A")
    assert cache.A_prev is X and cache.W is layer.W and cache.b is layer.b
    np.testing.assert_allclose(cache.Z, X @ layer.W + layer.b, rtol=1e-15)
    assert cache.A is A


@pytest.mark.parametrize("activation", ["identity", "sigmoid", "tanh", "elu", "gelu", "softmax"])
def test_backward_matches_finite_differences(activation):
    # scalar L = sum(G * A(A_prev; W, b)) has dL/dA = G: every gradient by centred differences
    rng = np.random.default_rng(3)
    layer = _built(activation=activation)
    X, G = rng.normal(size=(5, 4)), rng.normal(size=(5, 3))
    _, cache = layer.forward(X)
    dX, grads = layer.backward(G, cache)
    assert isinstance(grads, Grads) and grads._fields == ("dW", "db")

    def numerical(arr):
        out, h = np.empty_like(arr), 1e-6
        for idx in np.ndindex(arr.shape):
            old = arr[idx]
            arr[idx] = old + h
            plus = np.sum(G * layer.forward(X)[0])
            arr[idx] = old - h
            minus = np.sum(G * layer.forward(X)[0])
            arr[idx] = old
            out[idx] = (plus - minus) / (2 * h)
        return out

    np.testing.assert_allclose(grads.dW, numerical(layer.W), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(grads.db, numerical(layer.b), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(dX, numerical(X), rtol=1e-7, atol=1e-9)
    assert grads.dW.shape == layer.W.shape and grads.db.shape == layer.b.shape


def test_first_layer_skips_dA_prev():
    layer = _built()
    X = np.ones((2, 4))
    dX, grads = layer.backward(np.ones((2, 3)), layer.forward(X)[1], need_dA_prev=False)
    assert dX is None and grads.dW.shape == (4, 3)


def test_weights_are_plain_writable_arrays():
    model = lw.mlp(2, [3], 1, seed=0, dtype="float64")
    model.layers[0].W[:] = 0.0
    model.layers[0].b[:] = [1.0, -1.0, 2.0]
    model.layers[1].W = np.array([[1.0], [1.0], [1.0]])
    np.testing.assert_array_equal(model.predict([[5.0, 7.0]]), [[3.0 + model.layers[1].b[0]]])


def test_set_weights_changes_the_widths():
    layer = _built()
    layer.set_weights(np.zeros((2, 7)), np.zeros(7))
    assert (layer.n_in, layer.units) == (2, 7)


def test_config_round_trip():
    layer = Dense(4, "leaky_relu", init="he_uniform")
    layer.name = "hidden"
    config = layer.get_config()
    assert config["type"] == "Dense"
    assert config["units"] == 4
    assert config["activation"] == "leaky_relu"
    assert config["init"] == "he_uniform"
    again = Dense.from_config(config)
    assert again.get_config() == config
    assert repr(again) == "Dense(4, activation='leaky_relu')"


def test_activation_objects_are_accepted():
    layer = Dense(2, lw.activations.Sigmoid())
    assert layer.activation.name == "sigmoid" and layer.describe() == "sigmoid"


def test_user_layers_and_activations_with_the_plain_signatures_train_like_built_in_ones():
    # a user's layer and activation need only forward/backward with the plain signatures
    class OldTanh(lw.activations.Activation):
        name = "old_tanh"

        def forward(self, Z):
            return np.tanh(Z)

        def backward(self, dA, Z, A):
            return dA * (1.0 - A * A)

    class OldDense(lw.Dense):
        def forward(self, A_prev, *, training=False, rng=None):
            return lw.Dense.forward(self, A_prev)

        def backward(self, dA, cache, *, need_dA_prev=True):
            return lw.Dense.backward(self, dA, cache, need_dA_prev=need_dA_prev)

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)), rng.normal(size=40)
    old = lw.Sequential([OldDense(5, OldTanh()), lw.Dense(1, "identity")], input_dim=3, seed=1,
                        dtype="float64")  # fmt: skip
    new = lw.Sequential([lw.Dense(5, "tanh"), lw.Dense(1, "identity")], input_dim=3, seed=1,
                        dtype="float64")  # fmt: skip
    for m in (old, new):
        m.fit(X, y, loss="mse", lr=0.05, epochs=4, batch_size=8, verbose=False)
    for a, b in zip(old.layers, new.layers):
        np.testing.assert_array_equal(a.W, b.W)


@pytest.mark.parametrize(
    "units,exc",
    [(0, ValueError), (-2, ValueError), (2.5, TypeError), (True, TypeError), ("3", TypeError)],
)
def test_units(units, exc):
    with pytest.raises(exc, match=f"units must be a positive integer, got .*{units!r}"):
        lw.Dense(units)
    with pytest.raises(exc, match="units must be a positive integer"):
        lw.mlp(2, [units], 1)
