"""Figures: loss curves, the seed's learning-rate comparison, decision boundaries, networks.

Every function takes ``ax=`` (draw into a given matplotlib Axes) and ``path=`` (also write
the picture there, atomically; PNG unless the suffix says ``.svg`` or ``.pdf``) and returns
the :class:`matplotlib.figure.Figure`. A figure made only to be written to ``path`` is
closed after writing, so loops that write many pictures do not leak memory.

matplotlib is imported inside the functions: ``import layerwise`` never loads it. Without a
display (no ``DISPLAY`` on Linux) and with no backend chosen, the Agg backend is used.

>>> import layerwise as lw
>>> X, y = lw.datasets.load("moons", n_samples=50, seed=0)
>>> model = lw.mlp(2, [4], 1, activation="tanh", output_activation="sigmoid", seed=0)
>>> history = model.fit(X, y, loss="bce", lr=0.1, epochs=5, verbose=False)
>>> fig = lw.plot.loss_curves(history)
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from layerwise._files import atomic_write
from layerwise.training import History

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "accuracy_curves",
    "architecture",
    "decision_boundary",
    "learning_rate_comparison",
    "close",
    "loss_curves",
    "loss_panels",
    "save_figure",
    "subplots",
]

_POSITIVE, _NEGATIVE = "#1f77b4", "#d62728"


def _pyplot():
    """Import pyplot, choosing Agg only when nothing else was chosen and there is no display."""
    import matplotlib

    headless = sys.platform not in ("darwin", "win32") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )
    if headless and "matplotlib.pyplot" not in sys.modules and not os.environ.get("MPLBACKEND"):
        chosen = getattr(matplotlib.rcParams, "_get_backend_or_none", lambda: None)()
        if chosen is None:
            matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig: Figure, path: str | os.PathLike[str], *, dpi: int = 100) -> Path:
    """Write ``fig`` to ``path`` atomically (format from the suffix, PNG by default).

    Parameters
    ----------
    fig : Figure
    path : str or path-like
    dpi : int, default 100

    Returns
    -------
    Path
        The path written.
    """
    path = Path(path)
    suffix = path.suffix.lower().lstrip(".")
    fmt = suffix if suffix in ("png", "svg", "pdf") else "png"
    with atomic_write(path, "wb") as f:
        fig.savefig(f, format=fmt, dpi=dpi)
    return path


def _new_axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes, bool]:
    if ax is not None:
        return ax.figure, ax, False
    fig, ax = _pyplot().subplots(figsize=figsize, layout="constrained")
    return fig, ax, True


def _finish(fig: Figure, path: Any, created: bool) -> Figure:
    if path is not None:
        save_figure(fig, path)
        if created:
            _pyplot().close(fig)
    return fig


def _as_runs(histories: Mapping[Any, History] | History, what: str) -> dict[str, History]:
    if isinstance(histories, History):
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


def _log_axis(ax: Axes) -> None:
    """Log y axis; within about a decade, label the ticks as plain numbers (0.6, not 6e-1)."""
    from matplotlib import ticker

    ax.set_yscale("log")
    ax.grid(True, which="minor", alpha=0.15)
    low, high = ax.get_ylim()
    if low > 0 and high / low < 10:
        plain = ticker.FuncFormatter(lambda v, _: f"{v:.3g}")
        ax.yaxis.set_major_formatter(plain)
        ax.yaxis.set_minor_formatter(plain)
        ax.tick_params(axis="y", which="minor", labelsize=7)


def _series(h: History, metric: str, val: bool) -> tuple[list[float], list[float]]:
    if metric == "loss":
        return h.loss, (h.val_loss if val else [])
    if metric not in h.metrics:
        available = ", ".join(["loss", *h.metrics]) or "loss"
        raise ValueError(f"metric {metric!r} was not recorded; available: {available}")
    return h.metrics[metric], (h.metrics.get(f"val_{metric}", []) if val else [])


def _mark_events(ax: Axes, runs: Sequence[History]) -> None:
    """Vertical dashed lines where the network changed shape, with short labels."""
    import matplotlib.transforms as mtransforms

    seen: dict[int, list[str]] = {}
    for h in runs:
        for event in h.events:
            epoch, change = event.get("epoch"), str(event.get("change", ""))
            if isinstance(epoch, int) and change not in seen.setdefault(epoch, []):
                seen[epoch].append(change)
    trans = mtransforms.blended_transform_factory(ax.transData, ax.transAxes)
    for epoch, changes in sorted(seen.items()):
        ax.axvline(epoch, color="0.45", linestyle="--", linewidth=0.9, zorder=0)
        label = "; ".join(changes)
        label = label if len(label) <= 28 else label[:27] + "…"
        ax.text(
            epoch, 0.98, f" {label}", transform=trans, rotation=90, va="top", ha="right",
            fontsize=7, color="0.3",
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
    if logy:
        _log_axis(ax)
    ax.set_xlabel("epoch")
    first = next(iter(runs.values()))
    loss_name = first.params.get("loss")
    ylabel = f"loss ({loss_name})" if metric == "loss" and loss_name else metric
    ax.set_ylabel(ylabel + (", log scale" if logy else ""))
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


def subplots(nrows: int = 1, ncols: int = 1, *, figsize: tuple[float, float] | None = None):
    """A new figure and its axes (constrained layout), with the backend chosen as above.

    Parameters
    ----------
    nrows, ncols : int, default 1
    figsize : (float, float), optional
        Inches; default 5.5 x 4.5 per panel.

    Returns
    -------
    fig : Figure
    axes : Axes or ndarray of Axes
        One Axes for 1x1, else an array shaped (ncols,), (nrows,) or (nrows, ncols).
    """
    size = figsize or (5.5 * ncols, 4.5 * nrows)
    return _pyplot().subplots(nrows, ncols, figsize=size, layout="constrained")


def close(fig: Figure) -> None:
    """Release a figure made with :func:`subplots` (pyplot keeps figures until closed)."""
    _pyplot().close(fig)


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


def _predict_grid(model, X: np.ndarray, resolution: int, scaler) -> tuple[Any, ...]:
    pad_x = 0.1 * (X[:, 0].max() - X[:, 0].min()) or 1.0
    pad_y = 0.1 * (X[:, 1].max() - X[:, 1].min()) or 1.0
    gx = np.linspace(X[:, 0].min() - pad_x, X[:, 0].max() + pad_x, resolution)
    gy = np.linspace(X[:, 1].min() - pad_y, X[:, 1].max() + pad_y, resolution)
    xx, yy = np.meshgrid(gx, gy)
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    inputs = scaler.transform(grid) if scaler is not None else grid
    out = np.asarray(model.predict(inputs), dtype=np.float64)
    return xx, yy, out


def decision_boundary(
    model,
    X: Any,
    y: Any,
    *,
    ax: Axes | None = None,
    path: str | os.PathLike[str] | None = None,
    resolution: int = 200,
    scaler: Any = None,
    title: str | None = None,
) -> Figure:
    """The model's prediction over the plane of a 2-D data set, under its points.

    A sigmoid output is drawn as the probability of class 1 (with its 0.5 contour); a
    softmax output as the predicted class; any other output as its value.

    Parameters
    ----------
    model : Sequential
        With 2 inputs.
    X : array-like of shape (n_samples, 2)
        The points, in the units the figure should show (before scaling).
    y : array-like of shape (n_samples,)
        Class labels (or targets), used to colour the points.
    ax, path
        As in :func:`loss_curves`.
    resolution : int, default 200
        Grid points per axis.
    scaler : StandardScaler, optional
        Applied to the grid before ``model.predict``; default ``model.scaler`` if set
        (as on a loaded model).
    title : str, optional
        Default: the architecture and the accuracy on (X, y).

    Returns
    -------
    Figure
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(
            f"decision_boundary needs 2-D inputs: X must have shape (n_samples, 2), got {X.shape}"
        )
    if y.shape[:1] != X.shape[:1]:
        raise ValueError(f"X has {len(X)} samples but y has shape {y.shape}; they must match")
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 2:
        raise ValueError(f"resolution must be an integer >= 2, got {resolution!r}")
    scaler = scaler if scaler is not None else getattr(model, "scaler", None)
    xx, yy, out = _predict_grid(model, X, resolution, scaler)
    fig, ax, created = _new_axes(ax, (5.5, 4.8))
    plt = _pyplot()
    act = model.layers[-1].activation.name if hasattr(model.layers[-1], "activation") else ""
    labels = y.ravel() if y.ndim == 1 or y.shape[1] == 1 else y.argmax(axis=1)
    pred_points = np.asarray(model.predict(scaler.transform(X) if scaler is not None else X))
    acc = None
    if act == "sigmoid" and out.shape[1] == 1:
        zz = out[:, 0].reshape(xx.shape)
        cs = ax.contourf(xx, yy, zz, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.75)
        ax.contour(xx, yy, zz, levels=[0.5], colors="k", linewidths=1.2)
        fig.colorbar(cs, ax=ax, label="P(class 1)")
        acc = float(np.mean((pred_points[:, 0] > 0.5) == (labels > 0.5)))
        for cls, color in ((0, _POSITIVE), (1, _NEGATIVE)):
            pts = X[(labels > 0.5) == bool(cls)]
            ax.scatter(pts[:, 0], pts[:, 1], color=color, s=14, edgecolors="k", linewidths=0.4,
                       label=f"class {cls}")  # fmt: skip
        ax.legend(fontsize=8, loc="upper right", framealpha=0.85)
    elif out.shape[1] > 1:
        k = out.shape[1]
        zz = out.argmax(axis=1).reshape(xx.shape)
        cmap = plt.get_cmap("tab10" if k <= 10 else "tab20")
        from matplotlib.colors import BoundaryNorm, ListedColormap

        colors = ListedColormap([cmap(i % cmap.N) for i in range(k)])
        norm = BoundaryNorm(np.arange(-0.5, k), k)
        ax.contourf(xx, yy, zz, levels=np.arange(-0.5, k), cmap=colors, norm=norm, alpha=0.35)
        acc = float(np.mean(pred_points.argmax(axis=1) == labels))
        for cls in range(k):
            pts = X[labels == cls]
            if len(pts):
                ax.scatter(pts[:, 0], pts[:, 1], color=colors(cls), s=14, edgecolors="k",
                           linewidths=0.4, label=f"class {cls}")  # fmt: skip
        ax.legend(fontsize=8, loc="upper right", framealpha=0.85)
    else:
        zz = out[:, 0].reshape(xx.shape)
        cs = ax.contourf(xx, yy, zz, levels=15, cmap="viridis", alpha=0.8)
        fig.colorbar(cs, ax=ax, label="prediction")
        ax.scatter(X[:, 0], X[:, 1], c=labels, cmap="viridis", s=14, edgecolors="k",
                   linewidths=0.4)  # fmt: skip
    ax.set_xlabel("feature 0")
    ax.set_ylabel("feature 1")
    if title is None:
        title = f"Decision boundary: {_shape_text(model)}"
        if acc is not None:
            title += f"\naccuracy {acc:.3f} on {len(X)} points"
    ax.set_title(title, fontsize=10)
    return _finish(fig, path, created)


def _shape_text(model) -> str:
    widths = [str(model.input_dim)] + [str(layer.units) for layer in model.layers]
    acts = [layer.describe() for layer in model.layers if layer.describe()]
    hidden = sorted(set(acts[:-1]))
    text = "-".join(widths)
    if hidden:
        text += f" {'/'.join(hidden)}"
    return text + (f", {acts[-1]} out" if acts else "")


def _shown(n: int, max_neurons: int) -> tuple[list[int], int]:
    """Indices drawn for a layer of ``n`` neurons, and how many are elided."""
    if n <= max_neurons:
        return list(range(n)), 0
    top = math.ceil((max_neurons - 1) / 2)
    bottom = max_neurons - 1 - top
    return list(range(top)) + list(range(n - bottom, n)), n - top - bottom


def architecture(
    model,
    *,
    ax: Axes | None = None,
    path: str | os.PathLike[str] | None = None,
    max_neurons: int = 10,
    title: str | None = None,
) -> Figure:
    """Draw the network as columns of neurons joined by their weights.

    Line width grows with ``|W[i, j]|`` (relative to the layer's largest weight); colour
    gives the sign (blue positive, red negative). A layer wider than ``max_neurons`` shows
    its first and last neurons with a ``… +N`` marker for the ``N`` left out.

    Parameters
    ----------
    model : Sequential
        Built (its input width known) or not; an unbuilt model is drawn with grey lines.
    ax, path
        As in :func:`loss_curves`.
    max_neurons : int, default 10
        Most neurons drawn per column (>= 2).
    title : str, optional
        Default: the widths and the number of parameters.

    Returns
    -------
    Figure
    """
    if isinstance(max_neurons, bool) or not isinstance(max_neurons, int) or max_neurons < 2:
        raise ValueError(f"max_neurons must be an integer >= 2, got {max_neurons!r}")
    if not model.layers:
        raise ValueError("the model has no layers to draw")
    if model.input_dim is None:
        raise ValueError("the model does not know its input width; build it or pass input_dim")
    widths = [model.input_dim] + [layer.units for layer in model.layers]
    names = [f"input\n{model.input_dim}"] + [
        f"{layer.name or type(layer).__name__}\n{layer.units} {layer.describe()}".rstrip()
        for layer in model.layers
    ]
    cols = [_shown(n, max_neurons) for n in widths]
    height = max(len(shown) + (1 if elided else 0) for shown, elided in cols)
    fig, ax, created = _new_axes(ax, (max(4.5, 1.7 * len(widths)), max(3.2, 0.42 * height + 1.6)))

    def ypos(count: int) -> np.ndarray:
        return (np.arange(count) - (count - 1) / 2)[::-1]

    positions = []  # per column: {neuron index: y}, and the y of the elision marker
    for shown, elided in cols:
        slots = len(shown) + (1 if elided else 0)
        ys = ypos(slots)
        if elided:
            top = math.ceil(len(shown) / 2)
            mapping = dict(zip(shown[:top], ys[:top]))
            mapping.update(zip(shown[top:], ys[top + 1 :]))
            positions.append((mapping, ys[top]))
        else:
            positions.append((dict(zip(shown, ys)), None))
    for c, layer in enumerate(model.layers):
        src, dst = positions[c][0], positions[c + 1][0]
        W = getattr(layer, "W", None)
        if W is None or not layer.built:
            pairs = [(i, j) for i in src for j in dst] if hasattr(layer, "W") else [
                (i, i) for i in src if i in dst
            ]  # fmt: skip
            for i, j in pairs:
                ax.plot([c, c + 1], [src[i], dst[j]], color="0.7", linewidth=0.6, zorder=1)
            continue
        W = np.asarray(W, dtype=np.float64)
        scale = float(np.abs(W).max()) or 1.0
        for i, yi in src.items():
            for j, yj in dst.items():
                w = W[i, j] / scale
                ax.plot([c, c + 1], [yi, yj], color=_POSITIVE if w >= 0 else _NEGATIVE,
                        linewidth=0.3 + 2.7 * abs(w), alpha=0.25 + 0.7 * abs(w),
                        zorder=1)  # fmt: skip
    for c, ((mapping, marker), (_, elided)) in enumerate(zip(positions, cols)):
        face = "#f2f2f2" if c == 0 else ("#ffe9c7" if c == len(cols) - 1 else "#dcecf9")
        ax.scatter([c] * len(mapping), list(mapping.values()), s=220, color=face,
                   edgecolors="k", linewidths=0.8, zorder=3)  # fmt: skip
        if marker is not None:
            ax.text(c, marker, f"… +{elided}", ha="center", va="center", fontsize=8, zorder=4)
        ax.text(c, -height / 2 - 0.3, names[c], ha="center", va="top", fontsize=8)
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], color=_POSITIVE, linewidth=2, label="positive weight"),
        Line2D([], [], color=_NEGATIVE, linewidth=2, label="negative weight"),
    ]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.02 - 0.0),
              ncol=2, fontsize=7, frameon=False)  # fmt: skip
    ax.set_xlim(-0.5, len(widths) - 0.5)
    ax.set_ylim(-height / 2 - 1.3, height / 2 + 0.2)
    ax.set_axis_off()
    if title is None:
        n = f"{model.n_params():,} parameters" if model.built else "not built"
        title = f"Architecture: {' → '.join(map(str, widths))} ({n})"
    ax.set_title(title, fontsize=10)
    return _finish(fig, path, created)
