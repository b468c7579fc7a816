"""layerwise._internal.summary: the text table of ``Sequential.summary()``, exact."""

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


def test_the_table_is_exact_for_a_frozen_layer_and_an_unbuilt_model():
    model = lw.mlp(2, [3], 1, output_activation="sigmoid", seed=0, dtype="float64")
    model.freeze(0)
    rows = [
        "#  layer    units  activation  params",
        "0  dense_0  3      relu        9       frozen",
        "1  dense_1  1      sigmoid     4",
    ]
    rule = "-" * max(map(len, rows))  # as long as the longest row
    assert model.summary() == "\n".join(
        ["Sequential (input_dim=2, dtype=float64)", rule, rows[0], rule, *rows[1:], rule,
         "total parameters: 13"]
    )  # fmt: skip
    unbuilt = lw.Sequential([lw.Dense(1200, "relu"), lw.Dense(1)])
    text = unbuilt.summary()
    assert text.splitlines()[0].startswith("Sequential (input_dim=?")
    assert text.splitlines()[-1] == "total parameters: ?"
    assert repr(text) == text  # a Table shows itself, not its quoted repr
    built = lw.Sequential([lw.Dense(1200, "relu"), lw.Dense(1)], input_dim=1000)
    assert "1,201,200" in built.summary() and built.summary().endswith("1,202,401")
