"""Tests of TODO tests/_internal/test_summary.py."""

from __future__ import annotations

import re

import layerwise as lw


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
