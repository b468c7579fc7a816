"""Rich display in Jupyter: what Sequential._repr_html_ and History._repr_html_ show."""

from __future__ import annotations

import subprocess
import sys
from html.parser import HTMLParser

import numpy as np

import layerwise as lw
from layerwise._internal import display as _display


class _Cells(HTMLParser):
    """Collects the text of every <td>/<th> and every tag with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._in_cell = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in ("td", "th"):
            self._in_cell = True
            self.cells.append("")

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self._in_cell = False

    def handle_data(self, data):
        if self._in_cell:
            self.cells[-1] += data


def _parse(text: str) -> _Cells:
    parser = _Cells()
    parser.feed(text)
    return parser


def test_model_table_holds_every_layer_with_its_units_activation_and_params():
    model = lw.mlp(3, [5, 4], 2, activation=["tanh", "relu"], output_activation="softmax", seed=0)
    cells = _parse(model._repr_html_()).cells
    assert cells[:5] == ["#", "layer", "units", "activation", "params"]
    for i, layer in enumerate(model.layers):
        row = cells[5 + 5 * i : 10 + 5 * i]
        assert row[0] == str(i)
        assert row[2] == str(layer.units)
        assert row[4] == str(layer.W.size + layer.b.size)
    assert [cells[5 + 5 * i + 3] for i in range(3)] == ["tanh", "relu", "softmax"]
    total = sum(layer.W.size + layer.b.size for layer in model.layers)
    assert cells[-1] == f"total parameters: {total}"


def test_architecture_draws_one_circle_per_neuron_and_one_line_per_weight():
    model = lw.mlp(2, [3], 1, seed=0)
    tags = _parse(model._repr_html_()).tags
    circles = [a for t, a in tags if t == "circle"]
    lines = [a for t, a in tags if t == "line"]
    assert len(circles) == 2 + 3 + 1
    assert len(lines) == 2 * 3 + 3 * 1
    # colour follows the sign of each weight, in the order W[a, b] is drawn
    signs = np.concatenate([np.sign(layer.W).ravel() for layer in model.layers])
    colours = [a["stroke"] for a in lines]
    assert colours == ["#2166ac" if s >= 0 else "#b2182b" for s in signs]
    # the largest weight of each layer is drawn at full strength
    first = [float(a["stroke-opacity"]) for a in lines[:6]]
    assert max(first) == 0.9


def test_a_wide_layer_is_cut_to_eight_neurons_with_the_count_written():
    model = lw.mlp(2, [50], 1, seed=0)
    svg = _display.architecture_svg(model)
    assert svg.count("<circle") == 2 + 8 + 1
    assert ">50 (8 shown)<" in svg


def test_layers_without_weights_get_no_column_and_unbuilt_models_no_picture():
    model = lw.Sequential([lw.Dense(3), lw.Dropout(0.5), lw.Dense(1)], input_dim=4, seed=0)
    assert _display.architecture_svg(model).count("<circle") == 4 + 3 + 1
    unbuilt = lw.Sequential([lw.Dense(3), lw.Dense(1)])
    html = unbuilt._repr_html_()
    assert "<svg" not in html and "<table" in html  # the table still shows, with "?"
    assert "total parameters: ?" in html


def test_summary_rows_gives_none_for_text_of_another_shape():
    assert _display.summary_rows("no table here") is None
    # falls back to the text as it is, escaped
    assert _display._table("a <b>") == "<pre>a &lt;b&gt;</pre>"


def _polylines(svg: str) -> list[list[tuple[float, float]]]:
    tags = _parse(svg).tags
    return [
        [tuple(map(float, p.split(","))) for p in a["points"].split()]
        for t, a in tags
        if t == "polyline"
    ]


def _affine(values, pixels) -> bool:
    """Pixels are an affine image of values: equal ratios of differences (to rounding)."""
    dv, dp = np.diff(values), np.diff(pixels)
    return np.allclose(dp / dp[0], dv / dv[0], atol=0.02)


def test_history_shows_its_numbers_and_its_loss_curves():
    history = lw.History(loss=[1.0, 0.5, 0.25], val_loss=[1.2, 0.6, 0.4])
    html = history._repr_html_()
    assert "History: 3 epoch(s), last loss 0.25, last val_loss 0.4" in html
    loss, val = _polylines(html)
    xs = [x for x, _ in loss]
    assert xs[0] == 56 and xs[-1] == 480 - 16 and xs == [x for x, _ in val]  # plot area
    assert _affine([1.0, 0.5, 0.25], [y for _, y in loss])  # linear axis: 4.8x range
    assert all(a < b for (_, a), (_, b) in zip(loss, loss[1:]))  # falling loss: y grows down
    assert "log scale" not in html


def test_a_loss_over_decades_is_drawn_on_a_log_axis_and_gaps_break_the_line():
    loss = [10.0, 1.0, float("nan"), 0.1, 0.01]
    svg = _display.curves_svg(loss)
    first, second = _polylines(svg)
    assert len(first) == 2 and len(second) == 2
    ys = [y for _, y in first + second]
    assert _affine(np.log10([10.0, 1.0, 0.1, 0.01]), ys)
    assert "log scale" in svg


def test_a_long_curve_is_sampled_and_keeps_its_last_point():
    loss = list(np.linspace(1.0, 0.5, 5000))
    (line,) = _polylines(_display.curves_svg(loss))
    assert len(line) <= 601 and line[-1][0] == 480 - 16


def test_an_empty_history_has_no_picture():
    html = lw.History()._repr_html_()
    assert "History: 0 epoch(s)" in html and "<img" not in html


def test_importing_display_loads_neither_matplotlib_nor_layerwise():
    code = (
        "import sys, layerwise._internal.display; "
        "print('matplotlib' in sys.modules, 'layerwise.plot' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_a_deep_network_keeps_a_readable_width():
    svg = _display.architecture_svg(lw.mlp(2, [4] * 40, 1, seed=0))
    assert 'width="764"' in svg and svg.count("<circle") == 2 + 40 * 4 + 1


def test_history_marks_each_change_of_the_network_at_its_epoch():
    history = lw.History(loss=[1.0, 0.8, 0.6, 0.5, 0.45], events=[{"epoch": 3, "change": "widen"}])
    tags = _parse(history._repr_html_()).tags
    marks = [a for t, a in tags if t == "line" and a.get("stroke-dasharray") == "1,3"]
    (loss,) = _polylines(history._repr_html_())
    assert len(marks) == 1 and float(marks[0]["x1"]) == loss[2][0]  # at epoch 3's point
