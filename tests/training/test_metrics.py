"""Tests of TODO tests/training/test_metrics.py."""

from __future__ import annotations

import numpy as np
import pytest

import layerwise as lw

RNG = np.random.default_rng(0)
X = RNG.normal(size=(20, 3))


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
