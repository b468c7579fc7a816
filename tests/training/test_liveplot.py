"""layerwise.training._liveplot: LivePlot redraws one picture in place (a fake notebook, a
fake clock), at most about 5% of the time, marks the network's changes, writes the final
SVG outside a notebook, and refuses bad settings by name.
"""

from __future__ import annotations

import layerwise as lw
from layerwise._internal import display as _display
from layerwise.training import _liveplot


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
    with pytest.raises(ValueError, match="every must be a number >= 0"):
        lw.callbacks.LivePlot(every=-1)
    with pytest.raises(TypeError, match="path must be a file path"):
        lw.callbacks.LivePlot(path=3)
    with pytest.raises(ValueError, match=r"path must name an \.svg file .* got 'loss\.png'"):
        lw.callbacks.LivePlot(path="loss.png")
    with pytest.raises(TypeError, match="logy must be True or False or None"):
        lw.callbacks.LivePlot(logy="yes")
