"""Memory of a training step, and steps that never write into their arguments.

Each step (``Dense.forward``, ``Dense.backward``, the activations' and losses' rules) takes
its inputs and returns new arrays: no buffers are passed around. The first tests measure,
with tracemalloc, the peak of memory newly allocated during each training step of ``fit``
and hold it within the bound that ``benchmarks/RESULTS.md`` uses for one batch (Z and A of
every layer, dZ and dA_prev of every layer, dW and db); a step that kept a second copy of
the batch's activations, or leaked temporaries, would exceed it. The last tests check that
no step changes its arguments (a cache read by backward is the cache forward returned) and
that ``fit`` equals the three public steps bit for bit.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import layerwise as lw
from layerwise.activations import names as activation_names

N, BS, N_IN, HIDDEN = 1536, 512, 16, (256, 32)
# measured peak / bound: relu 0.50, tanh 0.65, sigmoid 0.85 (its stable form makes two
# temporaries of the layer's size), mse/bce outputs 0.49-0.50. gelu is left out: its normal
# CDF (layerwise._internal.special.ndtr, a float64 polynomial) takes about 4.7 bounds of temporaries


class _StepPeaks(lw.callbacks.Callback):
    """Peak of newly allocated bytes between consecutive batch ends (one training step)."""

    def __init__(self) -> None:
        self.peaks: list[int] = []
        self.current = None

    def on_batch_end(self, batch, logs):
        current, peak = tracemalloc.get_traced_memory()
        if self.current is not None:
            self.peaks.append(peak - self.current)
        tracemalloc.reset_peak()
        self.current = tracemalloc.get_traced_memory()[0]


def _data(loss: str, units: int, dtype: str):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((N, N_IN)).astype(dtype)
    if loss == "cce":
        return X, rng.integers(0, units, N)
    if loss == "bce":
        return X, rng.integers(0, 2, (N, units)).astype(dtype)
    return X, rng.standard_normal((N, units)).astype(dtype)


def _step_peaks(model, X, y, loss, *, batch_size=BS, epochs=2, **kw) -> list[int]:
    probe = _StepPeaks()
    tracemalloc.start()
    try:
        model.fit(X, y, loss=loss, lr=1e-3, epochs=epochs, batch_size=batch_size,
                  callbacks=[probe], verbose=False, **kw)  # fmt: skip
    finally:
        tracemalloc.stop()
    return probe.peaks


def _bound(model, batch: int) -> int:
    """One batch's activations and gradients, as benchmarks/workloads.py counts them."""
    sizes = [model.input_dim] + [layer.units for layer in model.layers]
    acts = batch * (sizes[0] + 2 * sum(sizes[1:]))
    grads = batch * (sum(sizes[1:]) + sum(sizes[:-1])) + model.n_params()
    return (acts + grads) * model.dtype.itemsize


@pytest.mark.parametrize(
    "activation, loss, output, units",
    [(a, "cce", "softmax", 4) for a in ("relu", "tanh", "sigmoid", "leaky_relu", "elu")]
    + [
        ("relu", "bce", "sigmoid", 2),
        ("relu", "mse", "identity", 3),
        ("tanh", "mse", "sigmoid", 2),
    ],
)
def test_a_training_step_stays_within_one_batch_of_memory(activation, loss, output, units):
    model = lw.mlp(
        N_IN, list(HIDDEN), units, activation=activation, output_activation=output, seed=1
    )
    X, y = _data("bce" if output == "sigmoid" else loss, units, "float32")
    peaks = _step_peaks(model, X, y, loss)
    assert len(peaks) == 2 * N // BS - 1
    bound = _bound(model, BS)
    assert max(peaks) <= bound, (peaks, bound)
    # and the measurement sees the arrays a step makes (fresh Z, A, dZ ... every batch)
    assert min(peaks) > 0.3 * bound, (peaks, bound)


def _public_steps(model, X, Y, loss, *, lr, epochs, batch_size):
    """The oracle: the three public steps in a plain loop, shuffled as fit shuffles."""
    for _ in range(epochs):
        order = model.rng.permutation(len(X))
        for s in range(0, len(X), batch_size):
            idx = order[s : s + batch_size]
            A, caches = model.forward(X[idx], training=True)
            model.update(model.backward(caches, Y[idx], loss), lr=lr)


@pytest.mark.parametrize("activation", [a for a in activation_names() if a != "softmax"])
@pytest.mark.parametrize(
    "loss, output", [("cce", "softmax"), ("bce", "sigmoid"), ("mse", "identity"),
                     ("mse", "softmax"), ("mse", "tanh")]
)  # fmt: skip
def test_fit_equals_the_public_steps_bit_for_bit(activation, loss, output):
    rng = np.random.default_rng(5)
    X = rng.standard_normal((50, 3))
    units = 3
    if loss == "cce":
        Y = np.eye(units)[rng.integers(0, units, 50)]
    elif loss == "bce" or output in ("sigmoid", "softmax"):
        Y = rng.random((50, units))
        Y = Y / Y.sum(axis=1, keepdims=True) if output == "softmax" else (Y > 0.5) * 1.0
    else:
        Y = rng.standard_normal((50, units))
    model = lw.mlp(3, [6, 5], units, activation=activation, output_activation=output, seed=6,
                   dtype="float64")  # fmt: skip
    for layer in model.layers:  # biases off zero, so no relu sits on its kink
        layer.b[:] = rng.normal(0, 0.5, layer.units)
    oracle = model.copy()
    model.fit(X, Y, loss=loss, optimizer="sgd", lr=0.1, epochs=3, batch_size=16, verbose=False)
    _public_steps(oracle, X, Y, loss, lr=0.1, epochs=3, batch_size=16)
    for got, want in zip(model.layers, oracle.layers):
        np.testing.assert_array_equal(got.W, want.W)
        np.testing.assert_array_equal(got.b, want.b)


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


def test_public_forward_caches_stay_valid_after_fit():
    model = lw.mlp(2, [4], 1, activation="tanh", output_activation="sigmoid", seed=8)
    X = np.random.default_rng(9).standard_normal((40, 2)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.float32)
    A, caches = model.forward(X)
    kept = [c.Z.copy() for c in caches], A.copy()
    model.fit(X, y, loss="bce", lr=0.1, epochs=3, batch_size=8, verbose=False)
    for c, z in zip(caches, kept[0]):
        np.testing.assert_array_equal(c.Z, z)
    np.testing.assert_array_equal(A, kept[1])
