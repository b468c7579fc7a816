"""Curves per epoch: :func:`loss_curves`, :func:`accuracy_curves`, :func:`loss_panels`
and the seed's :func:`learning_rate_comparison`."""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from layerwise.plot._figures import _finish, _new_axes, _pyplot
from layerwise.training import History

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def _as_runs(histories: Mapping[Any, History] | History, what: str) -> dict[str, History]:
    if isinstance(histories, History):
        if not len(histories):
            raise ValueError(f"{what} is empty: train for at least one epoch")
        return {"": histories}
    if not isinstance(histories, Mapping) or not histories:
        raise TypeError(
            f"{what} must be a History or a non-empty dict of label -> History, "
            f"got {type(histories).__name__}"
        )
    runs = {}
    for label, h in histories.items():
        if not isinstance(h, History):
            raise TypeError(f"{what}[{label!r}] must be a History, got {type(h).__name__}")
        if not len(h):
            raise ValueError(f"{what}[{label!r}] is empty: train for at least one epoch")
        runs[str(label)] = h
    return runs


def _settings(runs: Sequence[History], skip: Sequence[str] = ()) -> str:
    """The settings shared by every run, as ``loss=bce, optimizer=sgd, ...``."""
    keys = ("loss", "optimizer", "lr", "batch_size", "seed")
    parts = []
    for key in keys:
        if key in skip:
            continue
        values = [h.params.get(key) for h in runs]
        if key == "optimizer":
            values = [v.get("name") if isinstance(v, dict) else v for v in values]
        if any(v is None and key != "batch_size" for v in values) or not values:
            continue
        if any(v != values[0] for v in values):
            continue
        v = values[0]
        if key == "batch_size":
            v = "full" if v is None else v
            key = "batch"
        parts.append(f"{key}={v:g}" if isinstance(v, float) else f"{key}={v}")
    return ", ".join(parts)


def _log_axis(ax: Axes) -> bool:
    """Log y axis with readable ticks, at least two of them labelled: every decade when two
    or more are in view; else plain numbers (0.6, not 6e-1) at the same size as the decades,
    for every tick within about a decade, for 2, 5 and the decade over more; evenly spaced
    ticks when the range is too narrow for two of those (a loss that hardly moves).

    Returns False, leaving the axis linear, when no curve has a positive value (a loss of
    exactly 0 at every epoch): matplotlib would warn and draw an empty panel.
    """
    from matplotlib import ticker

    if not any(np.any(np.asarray(line.get_ydata(), dtype=float) > 0) for line in ax.lines):
        return False
    ax.set_yscale("log")
    ax.grid(True, which="minor", alpha=0.15)
    # numticks high enough that no decade is skipped, however many the curves span
    ax.yaxis.set_major_locator(ticker.LogLocator(base=10, numticks=100))
    low, high = ax.get_ylim()
    decades = [k for k in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
               if low <= 10.0**k <= high]  # fmt: skip
    if len(decades) >= 2:
        ax.yaxis.set_minor_formatter(ticker.NullFormatter())
        return True

    def plain(v: float, _: Any = None) -> str:
        return f"{v:.3g}"

    def two_and_five(v: float, _: Any = None) -> str:
        mantissa = v / 10.0 ** math.floor(math.log10(v) + 1e-9)
        return plain(v) if min(abs(mantissa - 2), abs(mantissa - 5)) < 1e-6 else ""

    minor = plain if high / low < 10 else two_and_five
    ax.yaxis.set_major_formatter(ticker.FuncFormatter(plain))
    ax.yaxis.set_minor_formatter(ticker.FuncFormatter(minor))
    size = ax.yaxis.get_major_ticks()[0].label1.get_fontsize()
    ax.tick_params(axis="y", which="minor", labelsize=size)
    ticks = [v for v in ax.yaxis.get_minor_locator().tick_values(low, high) if minor(v)]
    ticks += [10.0**k for k in decades]
    if sum(low <= v <= high for v in ticks) < 2:
        ax.yaxis.set_major_locator(ticker.MaxNLocator(nbins=4, min_n_ticks=2))
        ax.yaxis.set_minor_formatter(ticker.NullFormatter())
    return True


def _series(h: History, metric: str, val: bool) -> tuple[list[float], list[float]]:
    if metric == "loss":
        return h.loss, (h.val_loss if val else [])
    if metric not in h.metrics:
        available = ", ".join(["loss", *h.metrics]) or "loss"
        raise ValueError(f"metric {metric!r} was not recorded; available: {available}")
    return h.metrics[metric], (h.metrics.get(f"val_{metric}", []) if val else [])


def _mark_events(ax: Axes, runs: Sequence[History]) -> None:
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
        ha: mtransforms.offset_copy(base, ax.figure, x=dx, units="dots")
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


def loss_curves(
    histories: Mapping[str, History] | History,
    *,
    logy: bool = False,
    metric: str = "loss",
    val: bool = True,
    ax: Axes | None = None,
    path: str | os.PathLike[str] | None = None,
    title: str | None = None,
) -> Figure:
    """Overlay the training (solid) and validation (dashed) curves of one or more runs.

    Parameters
    ----------
    histories : History or dict of str to History
        One run, or several labelled runs (one colour each).
    logy : bool, default False
        Logarithmic y axis (the seed's semilogy view).
    metric : str, default "loss"
        ``"loss"`` or a recorded metric such as ``"accuracy"``.
    val : bool, default True
        Also draw the validation curve where one was recorded.
    ax : Axes, optional
        Draw here instead of in a new figure.
    path : str or path-like, optional
        Write the figure there.
    title : str, optional
        Default: the metric and the settings the runs share.

    Returns
    -------
    Figure

    Notes
    -----
    ``history.events`` (``{"epoch": int, "change": str}``, recorded when the network changes
    shape during training) are marked with vertical dashed lines and short labels.
    """
    runs = _as_runs(histories, "histories")
    fig, ax, created = _new_axes(ax, (7.0, 4.5))
    colors = _pyplot().rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (label, h) in enumerate(runs.items()):
        color = colors[i % len(colors)]
        train, valid = _series(h, metric, val)
        epochs = h.epoch if len(h.epoch) == len(train) else list(range(1, len(train) + 1))
        name = f"{label} " if label else ""
        ax.plot(epochs, train, color=color, linewidth=1.6,
                label=f"{name}train" if valid or not label else label)  # fmt: skip
        if valid:
            ax.plot(epochs[: len(valid)], valid, color=color, linestyle="--", linewidth=1.4,
                    label=f"{name}validation")  # fmt: skip
    _mark_events(ax, list(runs.values()))
    scale = ""
    if logy:
        scale = ", log scale" if _log_axis(ax) else " (no positive values: linear scale)"
    ax.set_xlabel("epoch")
    first = next(iter(runs.values()))
    loss_name = first.params.get("loss")
    ylabel = f"loss ({loss_name})" if metric == "loss" and loss_name else metric
    ax.set_ylabel(ylabel + scale)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8)
    settings = _settings(list(runs.values()))
    what = "Training loss" if metric == "loss" else metric.replace("_", " ").capitalize()
    ax.set_title(title if title is not None else f"{what}" + (f"\n{settings}" if settings else ""),
                 fontsize=10)  # fmt: skip
    return _finish(fig, path, created)


def accuracy_curves(
    histories: Mapping[str, History] | History,
    *,
    val: bool = True,
    ax: Axes | None = None,
    path: str | os.PathLike[str] | None = None,
    title: str | None = None,
) -> Figure:
    """Accuracy per epoch (training solid, validation dashed) of one or more runs.

    Parameters
    ----------
    histories : History or dict of str to History
        Runs of a classifier (``history.metrics["accuracy"]`` recorded).
    val, ax, path, title
        As in :func:`loss_curves`.

    Returns
    -------
    Figure
    """
    runs = _as_runs(histories, "histories")
    for label, h in runs.items():
        if "accuracy" not in h.metrics:
            where = f"history {label!r}" if label else "the history"
            raise ValueError(f"{where} has no accuracy (a regression?); use loss_curves")
    created = ax is None
    fig = loss_curves(runs if len(runs) > 1 or "" not in runs else runs[""], metric="accuracy",
                      val=val, ax=ax, title=title)  # fmt: skip
    panel = ax if ax is not None else fig.axes[0]
    panel.set_ylim(-0.02, 1.02)
    panel.set_ylabel("accuracy")
    return _finish(fig, path, created)


def _lr_label(key: Any) -> str:
    if isinstance(key, int | float | np.number) and not isinstance(key, bool):
        return f"lr = {float(key):g}"
    try:
        return f"lr = {float(key):g}"
    except (TypeError, ValueError):
        return str(key)


def loss_panels(
    histories: Mapping[str, History] | History,
    *,
    val: bool = True,
    metric: str = "loss",
    ax: Sequence[Axes] | None = None,
    path: str | os.PathLike[str] | None = None,
    title: str | None = None,
) -> Figure:
    """The same curves twice, side by side: linear axes and a logarithmic y axis.

    Parameters
    ----------
    histories : History or dict of str to History
    val, metric
        As in :func:`loss_curves`.
    ax : pair of Axes, optional
        The linear and the log panel; default a new 1x2 figure.
    path : str or path-like, optional
    title : str, optional
        Figure title; default the metric and the settings the runs share.

    Returns
    -------
    Figure
    """
    runs = _as_runs(histories, "histories")
    created = ax is None
    if ax is None:
        fig, axes = _pyplot().subplots(1, 2, figsize=(11.0, 4.2), layout="constrained")
    else:
        axes = list(ax)
        if len(axes) != 2:
            raise ValueError(f"ax must be a pair of Axes (linear, log), got {len(axes)}")
        fig = axes[0].figure
    single = runs if len(runs) > 1 or "" not in runs else runs[""]
    for panel, logy in zip(axes, (False, True)):
        loss_curves(single, logy=logy, val=val, metric=metric, ax=panel,
                    title="semilogy" if logy else "linear")  # fmt: skip
    if title is None:
        settings = _settings(list(runs.values()))
        what = "Training loss" if metric == "loss" else metric.replace("_", " ").capitalize()
        title = what + (f"\n{settings}" if settings else "")
    fig.suptitle(title, fontsize=11)
    return _finish(fig, path, created)


def learning_rate_comparison(
    histories: Mapping[float | str, History],
    *,
    ax: Sequence[Axes] | None = None,
    path: str | os.PathLike[str] | None = None,
    title: str | None = None,
) -> Figure:
    """The seed's figure: training loss per epoch, one curve per learning rate, side by side
    on linear and on semilog axes.

    Parameters
    ----------
    histories : dict of float (or str) to History
        Keyed by learning rate (shown as ``lr = 0.01``); other string keys are used as
        labels as they are.
    ax : pair of Axes, optional
        The linear and the log panel; default a new 1x2 figure.
    path : str or path-like, optional
    title : str, optional
        Default: "Model error vs epoch at different learning rates" and the settings the
        runs share.

    Returns
    -------
    Figure
    """
    if not isinstance(histories, Mapping) or not histories:
        raise TypeError("histories must be a non-empty dict of learning rate -> History")
    runs = _as_runs({_lr_label(k): h for k, h in histories.items()}, "histories")
    if title is None:
        settings = _settings(list(runs.values()), skip=("lr",))
        title = "Model error vs epoch at different learning rates" + (
            f"\n{settings}" if settings else ""
        )
    return loss_panels(runs, val=False, ax=ax, path=path, title=title)
