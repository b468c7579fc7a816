"""layerwise.builders: ``mlp`` builds any depth and width, with one activation for all
layers or one per layer.
"""

from __future__ import annotations

import numpy as np
import pytest

import layerwise as lw


def test_input_dim():
    with pytest.raises(ValueError, match="input_dim must be a positive integer, got 0"):
        lw.mlp(0, [3], 1)


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
