"""The network drawn as columns of neurons joined by their weights: :func:`architecture`."""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING

import numpy as np

from layerwise.plot._figures import _NEGATIVE, _POSITIVE, _finish, _new_axes

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure

    from layerwise.model import Sequential


def _shown(n: int, max_neurons: int) -> tuple[list[int], int]:
    """Indices drawn for a layer of ``n`` neurons, and how many are elided."""
    if n <= max_neurons:
        return list(range(n)), 0
    top = math.ceil((max_neurons - 1) / 2)
    bottom = max_neurons - 1 - top
    return list(range(top)) + list(range(n - bottom, n)), n - top - bottom


def architecture(
    model: Sequential,
    *,
    ax: Axes | None = None,
    path: str | os.PathLike[str] | None = None,
    max_neurons: int = 10,
    title: str | None = None,
) -> Figure | SubFigure:
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
    Figure or SubFigure
        The figure drawn on: the SubFigure holding ``ax`` when ``ax`` is in one.
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
