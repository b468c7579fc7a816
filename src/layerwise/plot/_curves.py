"""Curves per epoch: :func:`loss_curves`, :func:`accuracy_curves`, :func:`loss_panels`
and the seed's :func:`learning_rate_comparison`."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from layerwise.plot._events import mark_events
from layerwise.plot._figures import _finish, _new_axes, _pyplot
from layerwise.training import History

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure


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


def loss_curves(
    histories: Mapping[str, History] | History,
    *,
    logy: bool = False,
    metric: str = "loss",
    val: bool = True,
    ax: Axes | None = None,
    path: str | os.PathLike[str] | None = None,
    title: str | None = None,
) -> Figure | SubFigure:
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
    Figure or SubFigure
        The figure drawn on: the SubFigure holding ``ax`` when ``ax`` is in one.

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
    mark_events(ax, list(runs.values()))
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
) -> Figure | SubFigure:
    """Accuracy per epoch (training solid, validation dashed) of one or more runs.

    Parameters
    ----------
    histories : History or dict of str to History
        Runs of a classifier (``history.metrics["accuracy"]`` recorded).
    val, ax, path, title
        As in :func:`loss_curves`.

    Returns
    -------
    Figure or SubFigure
        The figure drawn on: the SubFigure holding ``ax`` when ``ax`` is in one.
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
) -> Figure | SubFigure:
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
    Figure or SubFigure
        The figure drawn on: the SubFigure holding ``ax`` when ``ax`` is in one.
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
) -> Figure | SubFigure:
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
    Figure or SubFigure
        The figure drawn on: the SubFigure holding ``ax`` when ``ax`` is in one.
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
