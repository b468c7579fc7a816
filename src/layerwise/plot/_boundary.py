"""The model's prediction over the plane of a 2-D data set: :func:`decision_boundary`."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import numpy as np

from layerwise.plot._figures import _NEGATIVE, _POSITIVE, _finish, _new_axes, _pyplot

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


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
    if labels.dtype.kind not in "biuf":  # text labels: codes in sorted order, as load_csv
        labels = np.unique(labels, return_inverse=True)[1]
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
