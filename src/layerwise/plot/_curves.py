"""Curves per epoch: :func:`loss_curves`, :func:`accuracy_curves`, :func:`loss_panels`
and the seed's :func:`learning_rate_comparison`."""

from __future__ import annotations

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
    """Log y axis with readable ticks: every decade labelled; within about a decade, the
    ticks in between labelled as plain numbers (0.6, not 6e-1), at the same size.

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
    if low > 0 and high / low < 10:
        plain = ticker.FuncFormatter(lambda v, _: f"{v:.3g}")
        ax.yaxis.set_major_formatter(plain)
        ax.yaxis.set_minor_formatter(plain)
        size = ax.yaxis.get_major_ticks()[0].label1.get_fontsize()
        ax.tick_params(axis="y", which="minor", labelsize=size)
    else:
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

    Labels of changes close together (within 4% of the epoch axis) would overlap: the
    second of a pair goes to the right of its line, and each further pair lower down.
    """
    import matplotlib.transforms as mtransforms

    seen: dict[int, list[str]] = {}
    for h in runs:
        for event in h.events:
            epoch, change = event.get("epoch"), str(event.get("change", ""))
            if isinstance(epoch, int) and change not in seen.setdefault(epoch, []):
                seen[epoch].append(change)
    trans = mtransforms.blended_transform_factory(ax.transData, ax.transAxes)
    low, high = ax.get_xlim()
    gap, previous, k = 0.04 * abs(high - low), None, 0
    for epoch, changes in sorted(seen.items()):
        k = k + 1 if previous is not None and epoch - previous < gap else 0
        previous = epoch
        ax.axvline(epoch, color="0.45", linestyle="--", linewidth=0.9, zorder=0)
        label = "; ".join(changes)
        label = label if len(label) <= 28 else label[:27] + "…"
        ha, text = ("left", f"{label} ") if k % 2 else ("right", f" {label}")
        ax.text(
            epoch, 0.98 - 0.45 * (k // 2 % 2), text, transform=trans, rotation=90, va="top",
            ha=ha, fontsize=7, color="0.3",
        )  # fmt: skip


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
