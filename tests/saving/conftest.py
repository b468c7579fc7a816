"""Helpers shared by the test modules of tests/saving/."""

from __future__ import annotations

import numpy as np
import pytest

import layerwise as lw


@pytest.fixture
def adam_saved(tmp_path):
    model = lw.mlp(2, [4], 1, output_activation="sigmoid", seed=0)
    X = np.random.default_rng(0).normal(size=(16, 2))
    y = (X[:, 0] > 0).astype(float)
    model.fit(X, y, loss="bce", optimizer="adam", lr=0.01, epochs=2, verbose=0)
    path = tmp_path / "model.npz"
    lw.save(model, path)
    return path
