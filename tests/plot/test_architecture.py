"""layerwise.plot._architecture: wide layers elided with their count, weights encoded as
the lines' colour and width.
"""

from __future__ import annotations

import pytest

import layerwise as lw
from tests.plot.helpers import png


def test_architecture_elides_wide_layers_and_encodes_weights(tmp_path):
    model = lw.mlp(2, [30], 1, activation="relu", output_activation="sigmoid", seed=0)
    W = model.layers[0].W
    W[:] = 0.1
    W[0, 0] = -2.0  # the largest weight, negative: thickest line, red
    path = tmp_path / "arch.png"
    fig = lw.plot.architecture(model, max_neurons=10, path=path)
    ax = fig.axes[0]
    assert "… +21" in [t.get_text() for t in ax.texts]  # 30 neurons, 9 drawn
    # weight lines: 2 inputs x 9 shown, then 9 shown x 1 output
    lines = [l for l in ax.get_lines() if len(l.get_xdata()) == 2 and l.get_xdata()[0] in (0, 1)]
    assert len(lines) == 2 * 9 + 9
    first = [l for l in lines if l.get_xdata()[0] == 0]
    thickest = max(first, key=lambda l: l.get_linewidth())
    assert thickest.get_color() == "#d62728"
    assert sum(l.get_linewidth() == thickest.get_linewidth() for l in first) == 1
    assert "2 → 30 → 1" in ax.get_title() and "121 parameters" in ax.get_title()
    png(path, (round(100 * max(3.2, 0.42 * 10 + 1.6)), 510))
    with pytest.raises(ValueError, match="max_neurons must be an integer >= 2"):
        lw.plot.architecture(model, max_neurons=1)
