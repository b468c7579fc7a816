"""layerwise.plot._events: the network's changes of shape marked on the curves, each a dashed
line at its epoch with a label. Checked on the drawn figure (its lines and texts, their boxes
in pixels): the labels are whole or cut at 34 characters, one line per change, they overlap
neither each other nor another change's line, stay inside their axes, and those with no room
are hidden and counted in a note; the same change of several runs is marked once.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

import layerwise as lw
from layerwise.plot._events import mark_events
from tests.plot.helpers import agg_renderer, fitted_history, png


def test_loss_curves_mark_events():
    h = fitted_history(epochs=8)
    h.events = [
        {"epoch": 3, "change": "widen layer 0 (dense_0) 4 -> 6 units"},
        {"epoch": 6, "change": "deepen after layer 0"},
    ]
    ax = lw.plot.loss_curves(h).axes[0]
    vlines = [
        line
        for line in ax.get_lines()
        if line.get_linestyle() == "--" and list(line.get_xdata()) in ([3, 3], [6, 6])
    ]
    assert sorted(line.get_xdata()[0] for line in vlines) == [3, 6]
    texts = [t.get_text().strip() for t in ax.texts]
    assert "deepen after layer 0" in texts
    assert "widen layer 0 (dense_0) 4 -> 6 un…" in texts  # 34 characters at most


def _event_labels_overlap(ax) -> list[tuple[str, str]]:
    renderer = agg_renderer(ax.figure)
    boxes = [
        (t.get_text().strip(), t.get_window_extent(renderer)) for t in ax.texts if t.get_visible()
    ]
    return [
        (a, b)
        for i, (a, box_a) in enumerate(boxes)
        for b, box_b in boxes[i + 1 :]
        if box_a.overlaps(box_b)
    ]


@pytest.mark.parametrize(
    "epochs", [(100, 101), (100, 102, 104), (100, 103, 106, 109), (1, 150, 300)]
)
def test_growth_labels_close_together_do_not_overlap(epochs, tmp_path):
    h = fitted_history(epochs=300)
    h.events = [{"epoch": e, "change": f"widen layer 0 to {8 + e} units"} for e in epochs]
    fig = lw.plot.loss_panels(h, path=tmp_path / "loss.png")
    renderer = agg_renderer(fig)
    for ax in fig.axes:
        assert len(ax.texts) == len(epochs)
        assert _event_labels_overlap(ax) == []
        inside = ax.get_window_extent(renderer)
        for t in ax.texts:  # and each stays inside its panel
            box = t.get_window_extent(renderer)
            assert inside.x0 - 1 <= box.x0 and box.x1 <= inside.x1 + 1, t.get_text()
            assert inside.y0 - 1 <= box.y0 and box.y1 <= inside.y1 + 1, t.get_text()


def test_the_overlap_check_sees_overlapping_labels():
    fig, ax = plt.subplots()
    ax.text(0.5, 0.5, "one label", rotation=90)
    ax.text(0.5, 0.5, "another", rotation=90)
    assert _event_labels_overlap(ax)


def _event_texts(ax) -> list:
    return [t for t in ax.texts if t.get_rotation() == 90]


def _labels_cross_other_lines(ax) -> list[str]:
    """Visible growth labels whose box is crossed by another change's dashed line."""
    renderer = agg_renderer(ax.figure)
    xs = [
        ax.transData.transform((line.get_xdata()[0], 1.0))[0]
        for line in ax.get_lines()
        if line.get_linestyle() == "--" and line.get_color() == "0.45"
    ]
    crossed = []
    for t in _event_texts(ax):
        if t.get_visible():
            box, own = (
                t.get_window_extent(renderer),
                ax.transData.transform((t.get_position()[0], 1))[0],
            )
            if any(box.x0 < x < box.x1 for x in xs if abs(x - own) > 1):
                crossed.append(t.get_text())
    return crossed


@pytest.mark.parametrize("logy", [False, True])
def test_growth_labels_of_tutorial_3_are_whole_and_clear_of_each_other(logy, tmp_path):
    # GrowOnPlateau's four widenings at epochs 223, 256, 271, 286 of 500 (tutorial 3): the
    # labels used to run over the neighbouring lines, cut at 28 characters
    h = fitted_history(epochs=500, val=False)
    h.events = [
        {"epoch": e, "change": f"widen layer 0: {a} -> {a + 6} units"}
        for e, a in ((223, 3), (256, 9), (271, 15), (286, 21))
    ]
    h.events.append({"epoch": 286, "change": "deepen layer 0: + relu layer"})
    path = tmp_path / "grow.png"
    ax = lw.plot.loss_curves(h, logy=logy, path=path).axes[0]
    texts = _event_texts(ax)
    assert [t.get_text() for t in texts][-1] == (
        "widen layer 0: 21 -> 27 units\ndeepen layer 0: + relu layer"
    )  # two changes at one epoch: one line each, nothing cut
    assert _event_labels_overlap(ax) == []
    assert _labels_cross_other_lines(ax) == []
    assert all(t.get_visible() for t in texts)
    png(path, (450, 700))


def test_growth_labels_with_no_room_are_hidden_and_counted():
    h = fitted_history(epochs=300)
    h.events = [{"epoch": 100 + e, "change": f"widen layer 0 to {8 + e} units"} for e in range(40)]
    fig, ax = plt.subplots(figsize=(4, 3))
    lw.plot.loss_curves(h, ax=ax)
    renderer = agg_renderer(fig)
    texts = _event_texts(ax)
    shown = [t for t in texts if t.get_visible()]
    assert 0 < len(shown) < 40
    assert _event_labels_overlap(ax) == []  # lines this close: a label may cross one
    from matplotlib.text import Text

    notes = [t.get_text() for t in fig.findobj(Text) if "not labelled" in t.get_text()]
    assert notes == [f"{40 - len(shown)} more changes not labelled"]
    frame = ax.get_window_extent(renderer)
    for t in shown:
        box = t.get_window_extent(renderer)
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0


def test_the_same_change_of_several_runs_is_marked_once_and_one_line_each():
    exactly_34 = "widen layer 0 (dense_0): 4 -> 6 un"
    one_more = exactly_34 + "i"
    first = [{"epoch": 3, "change": "widen layer 0"}, {"epoch": 6, "change": exactly_34}]
    second = [
        {"epoch": 3, "change": "widen layer 0"},  # the first run's: marked once
        {"epoch": 3, "change": "prune layer 1"},
        {"epoch": 5, "change": one_more},
        {"epoch": None, "change": "no epoch"},
        {"change": "no epoch either"},
    ]
    runs = [lw.History(loss=[1.0] * 8, events=events) for events in (first, second)]
    fig, ax = plt.subplots()
    mark_events(ax, runs)
    lines = ax.get_lines()
    assert [list(line.get_xdata()) for line in lines] == [[3, 3], [5, 5], [6, 6]]
    assert all(line.get_linestyle() == "--" and line.get_color() == "0.45" for line in lines)
    texts = [t.get_text() for t in ax.texts]
    assert (
        texts
        == [
            "widen layer 0\nprune layer 1",  # one line per change, in the order first seen
            exactly_34[:33] + "…",  # 35 characters: cut to 34
            exactly_34,  # 34: whole
        ]
    )
    # each at its epoch, at the top of the axes whatever the y data (until drawn)
    assert [t.get_position() for t in ax.texts] == [(3, 0.98), (5, 0.98), (6, 0.98)]
    assert all(t.get_rotation() == 90 and not t.get_in_layout() for t in ax.texts)
    assert len(ax.artists) == 1  # the one artist that places the labels when drawn
    agg_renderer(fig)
    assert _event_labels_overlap(ax) == []


def test_runs_without_changes_mark_nothing():
    fig, ax = plt.subplots()
    mark_events(ax, [lw.History(loss=[1.0, 0.5]), lw.History(loss=[2.0], events=[])])
    assert len(ax.get_lines()) == len(ax.texts) == len(ax.artists) == 0
