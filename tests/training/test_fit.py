"""layerwise.training._fit: fit learns (XOR, logistic regression against scikit-learn, least
squares), a larger learning rate falls faster, runs are reproducible, dtypes are kept; fit
equals the three public steps bit for bit, and a training step stays within one batch of
memory (tracemalloc) without writing into what forward returned.
"""

from __future__ import annotations

import tracemalloc
import warnings

import numpy as np
import pytest

import layerwise as lw
from layerwise.activations import names as activation_names

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
XOR_Y = np.array([0, 1, 1, 0])
RNG = np.random.default_rng(0)
X = RNG.normal(size=(20, 3))


def _blobs(n=80, seed=0):
    """Two overlapping Gaussian classes in 2-D (a stand-in for the seed's data)."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    X = rng.normal(size=(n, 2)) + np.where(y[:, None] == 1, 1.0, -1.0)
    return X, y


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_2_4_1_network_learns_xor(seed):
    # 20 of 20 seeds reach 100% with these settings (final loss < 0.006)
    model = lw.mlp(2, [4], 1, activation="tanh", output_activation="sigmoid", seed=seed)
    history = model.fit(XOR_X, XOR_Y, loss="bce", lr=0.5, epochs=1000, verbose=False)
    np.testing.assert_array_equal(model.predict(XOR_X)[:, 0] > 0.5, XOR_Y == 1)
    assert history.metrics["accuracy"][-1] == 1.0
    assert history.loss[-1] < 0.05 < history.loss[0]


def test_no_hidden_layer_is_logistic_regression():
    """Full-batch gradient descent on bce reaches scikit-learn's unregularised optimum.

    All 30 standardised features cannot be used: they are linearly separable (unpenalised
    LogisticRegression gets 100% training accuracy and its coefficients grow without bound,
    |coef| = 1.6e4 where lbfgs stops), so there is no finite optimum to compare. Five
    features (97% accuracy) have one, with a Hessian of condition number 28 at it, which
    lr=5 descends to 2e-7 of scikit-learn's coefficients in 3000 epochs (0.4 s).
    """
    datasets = pytest.importorskip("sklearn.datasets")
    linear_model = pytest.importorskip("sklearn.linear_model")
    data = datasets.load_breast_cancer()
    X = (data.data - data.data.mean(axis=0)) / data.data.std(axis=0)
    X = X[:, [1, 4, 8, 20, 27]]  # mean texture/smoothness/symmetry, worst radius/concave points
    reference = linear_model.LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000)
    reference.fit(X, data.target)
    model = lw.mlp(5, [], 1, output_activation="sigmoid", seed=0, dtype="float64")
    model.fit(X, data.target, loss="bce", lr=5.0, epochs=3000, verbose=False)
    np.testing.assert_allclose(model.layers[0].W[:, 0], reference.coef_[0], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(model.layers[0].b, reference.intercept_, rtol=1e-4, atol=1e-4)


def test_loss_falls_and_smaller_learning_rate_falls_slower():
    # the seed's experiment: one hidden layer, lr 0.01 against 0.005, same initial weights
    X, y = _blobs()
    runs = {}
    for lr in (0.01, 0.005):
        model = lw.mlp(2, [4], 1, activation="tanh", output_activation="sigmoid", seed=3)
        runs[lr] = model.fit(X, y, loss="bce", lr=lr, epochs=300, verbose=False).loss
    fast, slow = np.array(runs[0.01]), np.array(runs[0.005])
    assert fast[0] == slow[0]  # epoch 1's loss is measured before the first update
    assert np.all(np.diff(fast) < 0) and np.all(np.diff(slow) < 0)
    assert np.all(slow[1:] > fast[1:])
    # small steps follow the gradient flow, whose time is lr * epochs: half the rate makes
    # half the early progress, and reaches in 2k epochs where the full rate was after k
    assert 0.45 < (slow[0] - slow[10]) / (fast[0] - fast[10]) < 0.55
    for k in (10, 50, 100, 149):
        assert abs(slow[2 * k] - fast[k]) < 0.01 * (fast[0] - fast[k])


@pytest.mark.parametrize("batch_size", [None, 7])
def test_same_seed_same_run_bit_for_bit(batch_size):
    X, y = _blobs(50)

    def run(seed):
        model = lw.mlp(2, [6, 3], 1, activation=["relu", "tanh"], output_activation="sigmoid",
                       seed=seed)  # fmt: skip
        h = model.fit(X, y, loss="bce", lr=0.1, epochs=15, batch_size=batch_size, shuffle=True,
                      verbose=False)  # fmt: skip
        return model, h

    (m1, h1), (m2, h2), (m3, h3) = run(5), run(5), run(6)
    assert h1.loss == h2.loss and h1.metrics == h2.metrics
    for p, q in zip(m1.parameters().values(), m2.parameters().values(), strict=True):
        np.testing.assert_array_equal(p, q)
    assert h3.loss != h1.loss
    assert not np.array_equal(m1.layers[0].W, m3.layers[0].W)


def test_shuffle_changes_the_batches_but_not_the_full_batch_run():
    X, y = _blobs(40)

    def run(batch_size, shuffle):
        model = lw.mlp(2, [4], 1, output_activation="sigmoid", seed=0)
        return model.fit(X, y, loss="bce", lr=0.1, epochs=5, batch_size=batch_size,
                         shuffle=shuffle, verbose=False).loss  # fmt: skip

    assert run(None, True) == run(None, False)
    assert run(8, True) != run(8, False)


def _all_arrays(model, X, y, loss):
    A, caches = model.forward(X)
    grads = model.backward(caches, y, loss)
    arrays = [A, model.predict(X)]
    arrays += [a for c in caches for a in c]
    arrays += [a for g in grads for a in g]
    arrays += list(model.parameters().values())
    return arrays


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dtype_is_kept_everywhere(dtype):
    X = np.random.default_rng(0).normal(size=(12, 3))  # float64 input either way
    y = np.arange(12) % 3
    model = lw.mlp(3, [5, 4], 3, activation=["gelu", "elu"], output_activation="softmax",
                   seed=0, dtype=dtype)  # fmt: skip
    model.fit(X, y, loss="cce", lr=0.1, epochs=3, batch_size=5, verbose=False)
    arrays = _all_arrays(model, X, y, "cce")
    assert {a.dtype.name for a in arrays} == {dtype}
    assert model.optimizer is not None


def test_second_fit_continues_the_epoch_count():
    X, y = _blobs(30)
    model = lw.mlp(2, [3], 1, output_activation="sigmoid", seed=0)
    model.fit(X, y, loss="bce", lr=0.1, epochs=4, verbose=False)
    history = model.fit(X, y, loss="bce", lr=0.1, epochs=3, verbose=False)
    assert history.epoch == [5, 6, 7] and model.epochs_trained == 7


def test_fit_is_the_three_steps():
    # one full-batch epoch of fit == forward, backward, update by hand
    X, y = _blobs(20)
    a = lw.mlp(2, [4], 1, activation="tanh", output_activation="sigmoid", seed=9)
    b = lw.mlp(2, [4], 1, activation="tanh", output_activation="sigmoid", seed=9)
    a.fit(X, y, loss="bce", lr=0.3, epochs=1, verbose=False)
    _, caches = b.forward(X)
    b.update(b.backward(caches, y, "bce"), lr=0.3)
    for p, q in zip(a.parameters().values(), b.parameters().values(), strict=True):
        np.testing.assert_array_equal(p, q)


def test_mse_regression_reaches_least_squares():
    # linear regression by gradient descent against numpy's least squares
    rng = np.random.default_rng(4)
    X = rng.normal(size=(100, 3))
    y = X @ [0.5, -1.0, 2.0] + 0.3 + 0.1 * rng.normal(size=100)
    coef, *_ = np.linalg.lstsq(np.hstack([X, np.ones((100, 1))]), y, rcond=None)
    model = lw.mlp(3, [], 1, seed=0, dtype="float64")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(X, y, loss="mse", lr=0.2, epochs=500, verbose=False)
    np.testing.assert_allclose(model.layers[0].W[:, 0], coef[:3], atol=1e-8)
    np.testing.assert_allclose(model.layers[0].b[0], coef[3], atol=1e-8)


# --------------------------------------- memory of a step, and steps that write into nothing


N, BS, N_IN, HIDDEN = 1536, 512, 16, (256, 32)


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
