"""layerwise.plot._curves: what each figure of curves draws is checked against the history it
was given (values, log axes, panels). The marks of a network's changes of shape on these
figures are in test_events.py.
"""

from __future__ import annotations

import re

import matplotlib.pyplot as plt
import numpy as np
import pytest

import layerwise as lw
from tests.plot.helpers import agg_renderer, fitted_history, png


def test_loss_curves_draw_the_history_values():
    h1, h2 = fitted_history(0.1), fitted_history(0.05)
    fig = lw.plot.loss_curves({"fast": h1, "slow": h2})
    ax = fig.axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"fast train", "fast validation", "slow train", "slow validation"}
    np.testing.assert_array_equal(lines["fast train"].get_ydata(), h1.loss)
    np.testing.assert_array_equal(lines["slow validation"].get_ydata(), h2.val_loss)
    np.testing.assert_array_equal(lines["fast train"].get_xdata(), [1, 2, 3, 4, 5, 6])
    assert lines["fast validation"].get_linestyle() == "--"
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "loss (bce)"
    assert ax.get_yscale() == "linear"
    # settings the runs share are in the title, the lr (which differs) is not
    assert "loss=bce" in ax.get_title() and "lr=" not in ax.get_title()
    assert ax.get_legend() is not None


def test_loss_curves_log_axis_single_history_and_metric():
    h = fitted_history(val=False)
    fig = lw.plot.loss_curves(h, logy=True)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    assert [line.get_label() for line in ax.get_lines()] == ["train"]
    assert "lr=0.1" in ax.get_title()
    fig = lw.plot.loss_curves(h, metric="accuracy")
    np.testing.assert_array_equal(fig.axes[0].get_lines()[0].get_ydata(), h.metrics["accuracy"])
    with pytest.raises(ValueError, match="metric 'r2' was not recorded; available: loss, accur"):
        lw.plot.loss_curves(h, metric="r2")
    with pytest.raises(ValueError, match="empty"):
        lw.plot.loss_curves({"a": lw.History()})
    with pytest.raises(TypeError, match="History"):
        lw.plot.loss_curves([h])


def test_learning_rate_comparison_two_panels(tmp_path):
    runs = {0.01: fitted_history(0.01), 0.005: fitted_history(0.005)}
    path = tmp_path / "lr.png"
    fig = lw.plot.learning_rate_comparison(runs, path=path)
    left, right = fig.axes
    assert left.get_yscale() == "linear" and right.get_yscale() == "log"
    for ax in (left, right):
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert labels == ["lr = 0.01", "lr = 0.005"]
        np.testing.assert_array_equal(ax.get_lines()[1].get_ydata(), runs[0.005].loss)
    assert "learning rates" in fig._suptitle.get_text()
    png(path, (420, 1100))
    assert fig.number not in plt.get_fignums()  # made for the file, so closed


def test_accuracy_curves(tmp_path):
    h = fitted_history()
    fig = lw.plot.accuracy_curves(h, path=tmp_path / "acc.png")
    ax = fig.axes[0]
    assert ax.get_ylabel() == "accuracy" and ax.get_ylim() == (-0.02, 1.02)
    np.testing.assert_array_equal(ax.get_lines()[1].get_ydata(), h.metrics["val_accuracy"])
    png(tmp_path / "acc.png", (450, 700))
    X, y = lw.datasets.load("sine", n_samples=20, seed=0)
    reg = lw.mlp(1, [3], 1, seed=0).fit(X, y, loss="mse", epochs=2, verbose=False)
    with pytest.raises(ValueError, match="no accuracy"):
        lw.plot.accuracy_curves(reg)


def _tick_labels(ax, which):
    ticks = ax.yaxis.get_minorticklocs() if which == "minor" else ax.yaxis.get_majorticklocs()
    texts = ax.yaxis.get_minorticklabels() if which == "minor" else ax.yaxis.get_ticklabels()
    low, high = ax.get_ylim()
    return [(loc, t) for loc, t in zip(ticks, texts) if low <= loc <= high and t.get_text()]


@pytest.mark.parametrize("low, high", [(0.37, 0.74), (2e-6, 0.7), (1e-14, 3.0)])
def test_log_panel_labels_every_decade_at_a_readable_size(low, high):
    h = fitted_history(epochs=50, val=False)
    h.loss = list(np.geomspace(high, low, 50))
    fig = lw.plot.loss_panels(h)
    agg_renderer(fig)
    linear, log = fig.axes
    assert log.get_yscale() == "log"
    major_size = linear.yaxis.get_ticklabels()[0].get_fontsize()
    labels = _tick_labels(log, "major") + _tick_labels(log, "minor")
    assert len(labels) >= 3
    assert all(t.get_fontsize() >= major_size for _, t in labels)
    decades = range(int(np.ceil(np.log10(low))), int(np.floor(np.log10(high))) + 1)
    labelled = {round(np.log10(loc), 6) for loc, _ in labels}
    assert all(d in labelled for d in decades), (sorted(labelled), list(decades))


@pytest.mark.parametrize(
    ("low", "high"), [(0.017, 0.8), (0.3, 0.6), (0.3, 0.305), (0.099, 0.101), (0.04, 3.0)]
)
def test_log_axis_over_a_small_range_labels_at_least_two_ticks(low, high, tmp_path):
    # a loss from 0.8 down to 0.017 spans one decade mark (0.1): only "10^-1" was labelled
    h = fitted_history(epochs=50, val=False)
    h.loss = list(np.geomspace(high, low, 50))
    path = tmp_path / "log.png"
    ax = lw.plot.loss_curves(h, logy=True, path=path).axes[0]
    agg_renderer(ax.figure)
    labels = _tick_labels(ax, "major") + _tick_labels(ax, "minor")
    assert len({t.get_text() for _, t in labels}) >= 2, [t.get_text() for _, t in labels]
    for loc, t in labels:  # each the value of its tick: 0.05, or 10^{-1} for a decade
        text = t.get_text()
        power = re.fullmatch(r"\$\\mathdefault\{10\^\{(-?\d+)\}\}\$", text)
        value = 10.0 ** int(power.group(1)) if power else float(text)
        assert np.isclose(value, loc, rtol=5e-3), (text, loc)
    png(path, (450, 700))


def _history_of_losses(losses: list[float]) -> lw.History:
    model = lw.mlp(2, [3], 1, seed=0)
    X = np.zeros((4, 2))
    history = model.fit(X, np.zeros(4), loss="mse", lr=0.1, epochs=len(losses), verbose=False)
    history.loss[:] = losses
    return history


@pytest.mark.parametrize("draw", ["loss_curves", "loss_panels"])
def test_log_axis_of_a_loss_that_is_exactly_zero(draw, tmp_path):
    # A perfect fit (loss 0.0 at every epoch) made matplotlib warn "Data has no positive
    # values, and therefore cannot be log-scaled" (an error under pytest) and drew nothing.
    pytest.importorskip("matplotlib")
    history = _history_of_losses([0.0, 0.0, 0.0])
    kwargs = {"logy": True} if draw == "loss_curves" else {}
    fig = getattr(lw.plot, draw)(history, path=tmp_path / "zero.png", **kwargs)
    log_panel = fig.axes[-1]
    assert log_panel.get_yscale() == "linear"
    assert "no positive" in log_panel.get_ylabel()
    assert (tmp_path / "zero.png").stat().st_size > 0


def test_log_axis_of_a_constant_positive_loss_stays_logarithmic():
    pytest.importorskip("matplotlib")
    fig = lw.plot.loss_curves(_history_of_losses([0.3, 0.3, 0.3]), logy=True)
    assert fig.axes[0].get_yscale() == "log"
    lw.plot.close(fig)


@pytest.mark.parametrize("draw", ["loss_curves", "loss_panels", "accuracy_curves"])
def test_plots_refuse_an_empty_history_passed_alone(draw):
    # Inside a dict an empty History was refused; passed alone it drew an empty figure.
    pytest.importorskip("matplotlib")
    with pytest.raises(ValueError, match="empty: train for at least one epoch"):
        getattr(lw.plot, draw)(lw.History())
