"""layerwise.training.metrics: accuracy, binary accuracy, r2 and mae against
scikit-learn's, directly and as fit reports them.
"""

from __future__ import annotations

import numpy as np
import pytest

import layerwise as lw


def test_accuracy_of_a_multi_label_bce_output_counts_every_decision():
    # two independent labels per sample: accuracy is the share of correct yes/no decisions,
    # measured (as every training metric) on the outputs before the epoch's update
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 3))
    Y = np.stack([X[:, 0] > 0, X[:, 1] + X[:, 2] > 0], axis=1).astype(float)
    build = lambda: lw.mlp(3, [8], 2, activation="tanh", output_activation="sigmoid", seed=0)  # noqa: E731
    expected = np.mean((build().predict(X) > 0.5) == (Y > 0.5))
    history = build().fit(X, Y, loss="bce", lr=0.5, epochs=1, verbose=False)
    assert history.metrics["accuracy"][0] == pytest.approx(expected, abs=1e-12)


def _regression(n=80, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.3 * rng.normal(size=n)
    return X, y


def test_validation_data_and_metrics():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(100, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    model = lw.mlp(2, [8], 2, output_activation="softmax", seed=0, dtype="float64")
    h = model.fit(X[:80], y[:80], loss="cce", optimizer="adam", lr=0.05, epochs=5,
                  validation_data=(X[80:], y[80:]), verbose=False)  # fmt: skip
    pred = model.predict(X[80:]).argmax(1)
    assert h.metrics["val_accuracy"][-1] == np.mean(pred == y[80:])
    assert h.val_loss[-1] == pytest.approx(model.evaluate(X[80:], y[80:], "cce"), rel=1e-12)
    # regression metrics: r2 and mae, against scikit-learn
    from sklearn.metrics import mean_absolute_error, r2_score

    Xr, yr = _regression()
    m = lw.mlp(3, [8], 1, seed=0, dtype="float64")
    h = m.fit(Xr, yr, optimizer="adam", lr=0.05, epochs=5, validation_split=0.25, verbose=False)
    p = m.predict(Xr[60:])[:, 0]
    assert h.metrics["val_r2"][-1] == pytest.approx(r2_score(yr[60:], p), rel=1e-12)
    assert h.metrics["val_mae"][-1] == pytest.approx(mean_absolute_error(yr[60:], p), rel=1e-12)


# ---------------------------------------------------- each metric against scikit-learn's
@pytest.mark.parametrize("units", [1, 4])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_accuracy_is_scikit_learns_on_the_decided_labels(units, dtype):
    skm = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(units)
    A = rng.random((50, units)).astype(dtype)
    if units == 1:  # one sigmoid unit: the label is p > 0.5
        Y = rng.integers(0, 2, (50, 1)).astype(dtype)
        want = skm.accuracy_score(Y[:, 0] > 0.5, A[:, 0] > 0.5)
    else:  # softmax: the label is the argmax of each row (Y one-hot)
        A /= A.sum(axis=1, keepdims=True)
        labels = rng.integers(0, units, 50)
        Y = np.eye(units, dtype=dtype)[labels]
        want = skm.accuracy_score(labels, A.argmax(axis=1))
    assert lw.metrics.accuracy(A, Y) == want
    assert lw.metrics.accuracy(Y, Y) == 1.0


def test_binary_accuracy_counts_every_decision_as_scikit_learn_on_the_flattened_labels():
    skm = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(3)
    A, Y = rng.random((40, 3)), rng.integers(0, 2, (40, 3)).astype(float)
    want = skm.accuracy_score((Y > 0.5).ravel(), (A > 0.5).ravel())
    assert lw.metrics.binary_accuracy(A, Y) == pytest.approx(want, abs=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_r2_and_mae_are_scikit_learns_averaged_over_the_outputs(dtype):
    skm = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(5)
    Y = rng.normal(3.0, 2.0, (60, 3)).astype(dtype)
    A = (Y + rng.normal(0.0, 0.7, Y.shape)).astype(dtype)
    Y64, A64 = Y.astype(np.float64), A.astype(np.float64)
    rel = 1e-12 if dtype == np.float64 else 1e-6  # float32 differences, float64 sums
    assert lw.metrics.r2(A, Y) == pytest.approx(skm.r2_score(Y64, A64), rel=rel)
    assert lw.metrics.mae(A, Y) == pytest.approx(skm.mean_absolute_error(Y64, A64), rel=rel)
    assert lw.metrics.r2(Y, Y) == 1.0 and lw.metrics.mae(Y, Y) == 0.0


def test_r2_of_a_constant_target_column_follows_scikit_learn():
    # scikit-learn (force_finite): 1.0 for a perfect prediction of a constant, else 0.0
    skm = pytest.importorskip("sklearn.metrics")
    Y = np.column_stack([np.full(10, 2.0), np.arange(10.0)])
    for A in (Y.copy(), Y + np.linspace(-0.5, 0.5, 10)[:, None]):
        assert lw.metrics.r2(A, Y) == pytest.approx(skm.r2_score(Y, A), rel=1e-12)
