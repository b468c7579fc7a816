"""Rich display in Jupyter: what Sequential._repr_html_ and History._repr_html_ show."""

from __future__ import annotations

import subprocess
import sys
from html.parser import HTMLParser

import numpy as np

import layerwise as lw
from layerwise._internal import display as _display
from layerwise.training import _liveplot


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


# ---------------------------------------------------------------------------- LivePlot


class _Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


class _Handle:
    def __init__(self, shown: list) -> None:
        self.shown = shown

    def update(self, obj) -> None:
        self.shown.append(("update", obj))


def _fake_notebook(monkeypatch, draw_seconds: float):
    """A notebook with a fake clock in which each redraw takes ``draw_seconds``."""
    import time

    import IPython.display

    clock, shown = _Clock(), []
    monkeypatch.setattr(time, "perf_counter", clock)
    monkeypatch.setattr(_liveplot, "_in_notebook", lambda: True)

    def display(obj, display_id=False):
        assert display_id is True  # a handle, so that later redraws replace this picture
        shown.append(("display", obj))
        return _Handle(shown)

    monkeypatch.setattr(IPython.display, "display", display)
    real = _display.curves_svg

    def slow_svg(*args, **kwargs):
        clock.t += draw_seconds
        return real(*args, **kwargs)

    monkeypatch.setattr(_display, "curves_svg", slow_svg)
    return clock, shown


def _train(cb, clock, epochs: int, seconds_per_epoch: float, model=None) -> None:
    cb.set_context(model or lw.mlp(2, [3], 1, seed=0), None)
    cb.on_train_begin({})
    for epoch in range(1, epochs + 1):
        clock.t += seconds_per_epoch
        cb.on_epoch_end(epoch, {"loss": 1.0 / epoch, "val_loss": 1.2 / epoch})
    cb.on_train_end({})


def test_liveplot_redraws_one_picture_in_place_and_always_the_last_epoch(monkeypatch):
    clock, shown = _fake_notebook(monkeypatch, draw_seconds=0.0)
    cb = lw.callbacks.LivePlot(every=1.0)
    _train(cb, clock, epochs=50, seconds_per_epoch=0.25)  # 12.5 s of training
    kinds = [kind for kind, _ in shown]
    assert kinds[0] == "display" and set(kinds[1:]) == {"update"}
    # a redraw once a second (epochs 4, 8, ..., 48) and one at the end (epoch 50)
    assert cb.draws == len(shown) == 12 + 1
    assert shown[-1][1].data.startswith("<svg")
    assert cb.epochs == list(range(1, 51)) and cb.val_loss[-1] == 1.2 / 50


def test_liveplot_draws_at_most_about_five_percent_of_the_time(monkeypatch):
    # each redraw takes 0.5 s: the next waits 19 x 0.5 s, whatever `every` says
    clock, shown = _fake_notebook(monkeypatch, draw_seconds=0.5)
    cb = lw.callbacks.LivePlot(every=0.0)
    start = clock.t
    _train(cb, clock, epochs=300, seconds_per_epoch=0.1)
    total = clock.t - start
    assert cb.draw_seconds == 0.5 * cb.draws
    # one draw per 9.5 s of training and 0.5 s of drawing (5%), beyond the first (at
    # epoch 1, as every=0 asks: its cost is not known yet) and the last (always drawn)
    assert cb.draw_seconds <= 0.05 * total + 2 * 0.5
    assert cb.draws >= 4


def test_liveplot_outside_a_notebook_writes_the_final_svg_only_when_given_a_path(tmp_path):
    assert not _liveplot._in_notebook()  # pytest is no Jupyter kernel
    quiet = lw.callbacks.LivePlot()
    clock = _Clock()
    _train(quiet, clock, epochs=5, seconds_per_epoch=1.0)
    assert quiet.draws == 0 and list(tmp_path.iterdir()) == []
    path = tmp_path / "loss.svg"
    writer = lw.callbacks.LivePlot(path=path)
    _train(writer, clock, epochs=5, seconds_per_epoch=1.0)
    assert writer.draws == 0
    assert path.read_text(encoding="utf-8") == _display.curves_svg(
        writer.loss, writer.val_loss, [], epochs=writer.epochs
    )


def test_liveplot_marks_the_changes_of_the_network(tmp_path, monkeypatch):
    model = lw.mlp(2, [3], 1, seed=0)
    model.events.append({"epoch": 2, "change": "widen layer 0 to 5 units"})  # as fit records
    seen = {}
    real = _display.curves_svg

    def spy(loss, val_loss=(), marks=(), **kwargs):
        seen["marks"] = list(marks)
        return real(loss, val_loss, marks, **kwargs)

    monkeypatch.setattr(_display, "curves_svg", spy)
    cb = lw.callbacks.LivePlot(path=tmp_path / "loss.svg")
    _train(cb, _Clock(), epochs=3, seconds_per_epoch=1.0, model=model)
    assert seen["marks"] == [2]


def test_liveplot_refuses_bad_settings_naming_them():
    import pytest

    with pytest.raises(TypeError, match="every must be a number"):
        lw.callbacks.LivePlot(every="1")
    with pytest.raises(ValueError, match="every must be a finite number of seconds >= 0"):
        lw.callbacks.LivePlot(every=-1)
    with pytest.raises(TypeError, match="path must be a file path"):
        lw.callbacks.LivePlot(path=3)
    with pytest.raises(ValueError, match=r"path must name an \.svg file .* got 'loss\.png'"):
        lw.callbacks.LivePlot(path="loss.png")
    with pytest.raises(TypeError, match="logy must be True, False or None"):
        lw.callbacks.LivePlot(logy="yes")


def test_a_deep_network_keeps_a_readable_width():
    svg = _display.architecture_svg(lw.mlp(2, [4] * 40, 1, seed=0))
    assert 'width="764"' in svg and svg.count("<circle") == 2 + 40 * 4 + 1


def test_history_marks_each_change_of_the_network_at_its_epoch():
    history = lw.History(loss=[1.0, 0.8, 0.6, 0.5, 0.45], events=[{"epoch": 3, "change": "widen"}])
    tags = _parse(history._repr_html_()).tags
    marks = [a for t, a in tags if t == "line" and a.get("stroke-dasharray") == "1,3"]
    (loss,) = _polylines(history._repr_html_())
    assert len(marks) == 1 and float(marks[0]["x1"]) == loss[2][0]  # at epoch 3's point
