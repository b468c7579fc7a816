"""The network's changes of shape marked on curves per epoch: a dashed line at each, with
a short label placed when the figure is drawn, where it overlaps nothing."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from layerwise.training import History

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes


def mark_events(ax: Axes, runs: Sequence[History]) -> None:
    """Vertical dashed lines where the network changed shape, with short labels.

    The labels are placed when the figure is drawn (its layout, and so the room between the
    lines, known then), by the artist of :func:`_event_labels_class`.
    """
    import matplotlib.transforms as mtransforms

    seen: dict[int, list[str]] = {}
    for h in runs:
        for event in h.events:
            epoch, change = event.get("epoch"), str(event.get("change", ""))
            if isinstance(epoch, int) and change not in seen.setdefault(epoch, []):
                seen[epoch].append(change)
    if not seen:
        return
    trans = mtransforms.blended_transform_factory(ax.transData, ax.transAxes)
    texts = []
    for epoch, changes in sorted(seen.items()):
        ax.axvline(epoch, color="0.45", linestyle="--", linewidth=0.9, zorder=0)
        lines = [c if len(c) <= 34 else c[:33] + "…" for c in changes]  # one line per change
        texts.append(
            ax.text(
                epoch,
                0.98,
                "\n".join(lines),
                transform=trans,
                rotation=90,
                va="top",
                ha="right",
                fontsize=7,
                color="0.3",
                zorder=2.5,
                bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.7},
            )
        )
    for text in texts:
        text.set_in_layout(False)  # placed at draw time, inside the axes
    ax.add_artist(_event_labels_class()(ax, sorted(seen), texts))


@functools.cache
def _event_labels_class() -> type:
    """The artist that places the growth labels (a class made on first use, as matplotlib is
    imported only inside the functions that draw)."""
    from matplotlib.artist import Artist
    from matplotlib.text import Text

    class EventLabels(Artist):
        """Places the growth labels just before they are drawn (it is drawn first: its
        zorder is below everything), where each overlaps neither another label nor another
        change's line: beside its own line, left then right of it, at the top then lower
        down. A label with no such place is hidden, and a note in the corner counts them."""

        def __init__(self, ax: Axes, epochs: list[int], texts: list[Any]) -> None:
            super().__init__()
            self.set_zorder(-1e9)
            self.ax, self.epochs, self.texts = ax, epochs, texts
            self.note = Text(0.01, 0.01, "", fontsize=7, color="0.3", visible=False)
            self.note.set_figure(ax.figure)
            self.note.set_transform(ax.transAxes)

        def get_children(self) -> list[Any]:
            return [self.note]

        def draw(self, renderer: Any) -> None:
            hidden = _place_event_labels(self.ax, self.epochs, self.texts, renderer)
            self.note.set_visible(hidden > 0)
            self.note.set_text(f"{hidden} more change{'s' * (hidden > 1)} not labelled")
            self.note.draw(renderer)

    return EventLabels


def _place_event_labels(ax: Axes, epochs: list[int], texts: list[Any], renderer: Any) -> int:
    """Put each label in its first free place (see ``EventLabels``); the number hidden."""
    import matplotlib.transforms as mtransforms

    frame = ax.get_window_extent(renderer)
    pad = 2.0  # pixels between a label and anything else
    xs = [float(ax.transData.transform((e, 1.0))[0]) for e in epochs]
    base = mtransforms.blended_transform_factory(ax.transData, ax.transAxes)
    shifted = {
        ha: base + mtransforms.Affine2D().translate(dx, 0.0)  # dx pixels aside
        for ha, dx in (("right", -pad), ("left", pad))
    }
    boxes: list[Any] = []
    hidden, sides = 0, ("right", "left")
    for x, text in zip(xs, texts, strict=True):
        text.set_visible(frame.x0 <= x <= frame.x1)
        if not text.get_visible():
            continue
        others = [o for o in xs if abs(o - x) > 1.0 and frame.x0 <= o <= frame.x1]
        text.set_transform(shifted["right"])
        text.set_position((text.get_position()[0], 0.98))
        step = (text.get_window_extent(renderer).height + 4 * pad) / max(frame.height, 1.0)
        rows = [0.98 - k * step for k in range(int(0.98 // step) + 1)]
        # first a place no other change's line crosses, else any place free of labels
        places = [(y, ha, strict) for strict in (True, False) for y in rows for ha in sides]
        for y, ha, strict in places:
            text.set_transform(shifted[ha])
            text.set_position((text.get_position()[0], y))
            text.set_horizontalalignment(ha)
            box = text.get_window_extent(renderer).padded(pad)
            inside = frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0
            crossed = strict and any(box.x0 < o < box.x1 for o in others)
            if inside and not crossed and not any(box.overlaps(b) for b in boxes):
                boxes.append(box)
                break
        else:
            text.set_visible(False)
            hidden += 1
    return hidden
