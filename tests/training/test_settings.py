"""Tests of TODO tests/training/test_settings.py."""

from __future__ import annotations

import numpy as np
import pytest

import layerwise as lw

X4 = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])


Y4 = np.array([0, 1, 1, 0])


def binary(**kwargs):
    return lw.mlp(2, [3], 1, output_activation="sigmoid", seed=0, **kwargs)


def fit(model, X=X4, y=Y4, loss="bce", **kwargs):
    kwargs.setdefault("epochs", 1)
    return model.fit(X, y, loss=loss, verbose=False, **kwargs)


@pytest.mark.parametrize(
    "epochs,exc", [(0, ValueError), (-1, ValueError), (2.5, TypeError), (None, TypeError)]
)
def test_epochs(epochs, exc):
    with pytest.raises(exc, match="epochs must be a positive integer, got"):
        fit(binary(), epochs=epochs)


@pytest.mark.parametrize(
    "batch_size,exc", [(0, ValueError), (-1, ValueError), (2.5, TypeError), ("4", TypeError)]
)
def test_batch_size(batch_size, exc):
    with pytest.raises(exc, match="batch_size must be a positive integer, got"):
        fit(binary(), batch_size=batch_size)


def test_failed_fit_leaves_the_model_untouched():
    model = binary()
    before = [p.copy() for p in model.parameters().values()]
    with pytest.raises(ValueError):
        fit(model, y=[0, 1, 2, 0])
    for p, q in zip(model.parameters().values(), before, strict=True):
        np.testing.assert_array_equal(p, q)
    assert model.epochs_trained == 0
