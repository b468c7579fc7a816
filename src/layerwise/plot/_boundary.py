"""The model's prediction over the plane of a 2-D data set: :func:`decision_boundary`."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from layerwise.plot._figures import _NEGATIVE, _POSITIVE, _finish, _new_axes, _pyplot

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure

    from layerwise.model import Sequential


def _predict_grid(
    model: Sequential, X: np.ndarray, resolution: int, scaler: Any
) -> tuple[Any, ...]:
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
    model: Sequential,
    X: Any,
    y: Any,
    *,
    ax: Axes | None = None,
    path: str | os.PathLike[str] | None = None,
    resolution: int = 200,
    scaler: Any = None,
    title: str | None = None,
    feature_names: Sequence[str] | None = None,
    class_names: Sequence[str] | None = None,
) -> Figure | SubFigure:
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
        Class labels (or targets), used to colour the points. Text labels are taken as
        classes 0, 1, ... in sorted order, as :func:`layerwise.datasets.load_csv` codes them.
    ax, path
        As in :func:`loss_curves`.
    resolution : int, default 200
        Grid points per axis.
    scaler : StandardScaler, optional
        Applied to the grid before ``model.predict``; default ``model.scaler`` if set
        (as on a loaded model).
    title : str, optional
        Default: the architecture and the accuracy on (X, y).
    feature_names : sequence of 2 str, optional
        The axis labels, e.g. a CSV file's column names; default ``"feature 0"``,
        ``"feature 1"``.
    class_names : sequence of str, optional
        The legend's name of class 0, 1, ... (one per class: 2 for a sigmoid output, one per
        unit for a softmax output); default the text labels of ``y`` in sorted order, else
        ``"class 0"``, ``"class 1"``, ...

    Returns
    -------
    Figure or SubFigure
        The figure drawn on: the SubFigure holding ``ax`` when ``ax`` is in one.
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
    feature_names = _feature_names(feature_names)
    scaler = scaler if scaler is not None else getattr(model, "scaler", None)
    xx, yy, out = _predict_grid(model, X, resolution, scaler)
    act = model.layers[-1].activation.name if hasattr(model.layers[-1], "activation") else ""
    labels = y.ravel() if y.ndim == 1 or y.shape[1] == 1 else y.argmax(axis=1)
    texts = None
    if labels.dtype.kind not in "biuf":  # text labels: codes in sorted order, as load_csv
        texts, labels = np.unique(labels, return_inverse=True)
    kind = "sigmoid" if act == "sigmoid" and out.shape[1] == 1 else None
    kind = kind or ("softmax" if out.shape[1] > 1 else "value")
    names = _class_names(class_names, texts, kind, out.shape[1], labels)
    fig, ax, created = _new_axes(ax, (5.5, 4.8))
    pred_points = np.asarray(model.predict(scaler.transform(X) if scaler is not None else X))
    acc = None
    if kind == "sigmoid":
        zz = out[:, 0].reshape(xx.shape)
        cs = ax.contourf(xx, yy, zz, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.75)
        ax.contour(xx, yy, zz, levels=[0.5], colors="k", linewidths=1.2)
        fig.colorbar(cs, ax=ax, label=f"P({names[1]})")
        acc = float(np.mean((pred_points[:, 0] > 0.5) == (labels > 0.5)))
        for cls, color in ((0, _POSITIVE), (1, _NEGATIVE)):
            pts = X[(labels > 0.5) == bool(cls)]
            ax.scatter(pts[:, 0], pts[:, 1], color=color, s=14, edgecolors="k", linewidths=0.4,
                       label=names[cls])  # fmt: skip
        ax.legend(fontsize=8, loc="upper right", framealpha=0.85)
    elif kind == "softmax":
        acc = float(np.mean(pred_points.argmax(axis=1) == labels))
        _draw_classes(ax, xx, yy, out, X, labels, names)
    else:
        zz = out[:, 0].reshape(xx.shape)
        cs = ax.contourf(xx, yy, zz, levels=15, cmap="viridis", alpha=0.8)
        fig.colorbar(cs, ax=ax, label="prediction")
        _draw_values(ax, X, labels, names)
    ax.set_xlabel(feature_names[0])
    ax.set_ylabel(feature_names[1])
    if title is None:
        title = f"Decision boundary: {_shape_text(model)}"
        if acc is not None:
            title += f"\naccuracy {acc:.3f} on {len(X)} points"
    ax.set_title(title, fontsize=10)
    return _finish(fig, path, created)


def _strings(names: Any, arg: str, what: str) -> list[str]:
    """``names`` (a sequence or array of strings) as a list; TypeError naming ``arg``."""
    if isinstance(names, np.ndarray):
        names = names.tolist()
    if isinstance(names, str) or not isinstance(names, Sequence):
        raise TypeError(f"{arg} must be a sequence of {what}, got {type(names).__name__} {names!r}")
    if not all(isinstance(n, str) for n in names):
        raise TypeError(f"{arg} must be strings, got {list(names)!r}")
    return list(names)


def _feature_names(names: Any) -> list[str]:
    if names is None:
        return ["feature 0", "feature 1"]
    names = _strings(names, "feature_names", "2 strings")
    if len(names) != 2:
        raise ValueError(
            f"feature_names must name the 2 features of X, got {len(names)}: {list(names)!r}"
        )
    return list(names)


def _class_names(names: Any, texts: Any, kind: str, units: int, labels: np.ndarray) -> Any:
    """The legend's name of each class code; ``None`` for a continuous target."""
    if names is None:
        if texts is not None:
            return [str(t) for t in texts] + [f"class {i}" for i in range(len(texts), units)]
        if kind == "value":
            return None
        return [f"class {i}" for i in range(max(units, 2))]
    names = _strings(names, "class_names", "strings")
    need = {"sigmoid": 2, "softmax": units}.get(kind)
    if need is not None and len(names) != need:
        raise ValueError(
            f"class_names must give {need} names, one per class of this model's {kind} output, "
            f"got {len(names)}: {list(names)!r}"
        )
    if need is None:
        if labels.dtype.kind not in "biu" and not np.array_equal(labels, np.round(labels)):
            raise ValueError("class_names apply to class labels 0, 1, ...; y is continuous")
        if len(labels) and (labels.min() < 0 or labels.max() >= len(names)):
            raise ValueError(
                f"class_names gives {len(names)} names but y has labels from "
                f"{labels.min():g} to {labels.max():g}; give one name per label 0, 1, ..."
            )
    return list(names)


def _draw_classes(
    ax: Axes, xx: np.ndarray, yy: np.ndarray, out: np.ndarray, X: np.ndarray,
    labels: np.ndarray, names: list[str],
) -> None:  # fmt: skip
    """A softmax output: the predicted class as coloured regions, the points by class."""
    from matplotlib.colors import BoundaryNorm, ListedColormap

    k = out.shape[1]
    zz = out.argmax(axis=1).reshape(xx.shape)
    cmap = _pyplot().get_cmap("tab10" if k <= 10 else "tab20")
    colors = ListedColormap([cmap(i % cmap.N) for i in range(k)])
    norm = BoundaryNorm(np.arange(-0.5, k), k)
    ax.contourf(xx, yy, zz, levels=np.arange(-0.5, k), cmap=colors, norm=norm, alpha=0.35)
    for cls in range(k):
        pts = X[labels == cls]
        if len(pts):
            ax.scatter(pts[:, 0], pts[:, 1], color=colors(cls), s=14, edgecolors="k",
                       linewidths=0.4, label=names[cls])  # fmt: skip
    ax.legend(fontsize=8, loc="upper right", framealpha=0.85)


def _draw_values(ax: Axes, X: np.ndarray, labels: np.ndarray, names: list[str] | None) -> None:
    """Any other output: the points coloured by label, one legend entry per named class."""
    if names is None:
        ax.scatter(X[:, 0], X[:, 1], c=labels, cmap="viridis", s=14, edgecolors="k",
                   linewidths=0.4)  # fmt: skip
        return
    cmap = _pyplot().get_cmap("viridis")
    top = max(len(names) - 1, 1)
    for cls, name in enumerate(names):
        pts = X[labels == cls]
        if len(pts):
            ax.scatter(pts[:, 0], pts[:, 1], color=cmap(cls / top), s=14, edgecolors="k",
                       linewidths=0.4, label=name)  # fmt: skip
    ax.legend(fontsize=8, loc="upper right", framealpha=0.85)


def _shape_text(model: Sequential) -> str:
    widths = [str(model.input_dim)] + [str(layer.units) for layer in model.layers]
    acts = [layer.describe() for layer in model.layers if layer.describe()]
    hidden = sorted(set(acts[:-1]))
    text = "-".join(widths)
    if hidden:
        text += f" {'/'.join(hidden)}"
    return text + (f", {acts[-1]} out" if acts else "")
