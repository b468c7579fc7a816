"""Fixtures of tests/saving/: model files to load, to edit and to refuse."""

from __future__ import annotations

import numpy as np
import pytest

import layerwise as lw
from tests.saving.helpers import trained_model


@pytest.fixture
def adam_saved(tmp_path):
    """The path of a model trained with Adam (so its file holds optimizer state)."""
    model = lw.mlp(2, [4], 1, output_activation="sigmoid", seed=0)
    X = np.random.default_rng(0).normal(size=(16, 2))
    y = (X[:, 0] > 0).astype(float)
    model.fit(X, y, loss="bce", optimizer="adam", lr=0.01, epochs=2, verbose=0)
    path = tmp_path / "model.npz"
    lw.save(model, path)
    return path


@pytest.fixture
def saved(tmp_path):
    """``(path, model, X)``: a float32 model trained with SGD, saved."""
    model, _, X, _ = trained_model()
    path = tmp_path / "model.npz"
    lw.save(model, path)
    return path, model, X
