"""What the page draws, computed on the server: heat maps on a grid, weights, a loss series.

Heat maps travel as base64 strings of ``uint8`` bytes (one byte per grid cell, row-major,
top row first), a few kilobytes per snapshot instead of a JSON list of floats.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

import numpy as np

if TYPE_CHECKING:
    import layerwise as lw

#: maps points of the plane (m, 2) to the network's inputs (m, n_features)
Inputs = Callable[[np.ndarray], np.ndarray]

__all__ = ["Domain", "boundary_map", "neuron_maps", "input_maps", "weights", "decimate", "finite"]

BOUNDARY_GRID = 72
NEURON_GRID = 20
MAX_POINTS = 400


class Domain:
    """The rectangle of the input plane shown in the pictures: the data's box plus a margin.

    Attributes
    ----------
    x0, x1, y0, y1 : float
        Left, right, bottom, top.
    """

    def __init__(self, X: np.ndarray, margin: float = 0.15) -> None:
        lo, hi = X.min(axis=0), X.max(axis=0)
        pad = np.maximum((hi - lo) * margin, 0.1)
        self.x0, self.y0 = (lo - pad).tolist()
        self.x1, self.y1 = (hi + pad).tolist()

    def grid(self, n: int) -> np.ndarray:
        """Cell centres of an n-by-n grid, shape (n*n, 2), row-major from the top row."""
        xs = self.x0 + (np.arange(n) + 0.5) * (self.x1 - self.x0) / n
        ys = self.y1 - (np.arange(n) + 0.5) * (self.y1 - self.y0) / n
        gx, gy = np.meshgrid(xs, ys)
        return np.column_stack([gx.ravel(), gy.ravel()])

    def to_dict(self) -> dict[str, float]:
        return {"x0": self.x0, "x1": self.x1, "y0": self.y0, "y1": self.y1}


def _bytes(values: np.ndarray) -> str:
    """Values in [-1, 1] as base64 of uint8 (0 = -1, 255 = +1)."""
    q = np.clip(np.rint((np.nan_to_num(values) + 1.0) * 127.5), 0, 255).astype(np.uint8)
    return base64.b64encode(q.tobytes()).decode("ascii")


def boundary_map(
    model: lw.Sequential,
    domain: Domain,
    n_classes: int | None,
    inputs: Inputs,
    *,
    scale: float = 1.0,
) -> dict[str, Any]:
    """The decision boundary (or the regression surface) on a grid.

    Binary (one sigmoid output): ``values`` encodes ``2 p - 1`` for p = P(class 1).
    Multiclass (softmax): ``classes`` holds the argmax class per cell (raw bytes) and
    ``values`` the confidence ``2 max(p) - 1``. Regression (``n_classes`` None):
    ``values`` encodes the prediction divided by ``scale``, clipped to [-1, 1]. ``inputs``
    maps the grid's points (m, 2) to the network's inputs.
    """
    n = BOUNDARY_GRID
    P = model.predict(inputs(domain.grid(n)))
    out: dict[str, Any] = {"grid": n}
    if n_classes is None:
        out["kind"] = "regression"
        out["values"] = _bytes(P[:, 0] / scale)
        out["scale"] = scale
    elif P.shape[1] == 1:
        out["kind"] = "binary"
        out["values"] = _bytes(2.0 * P[:, 0] - 1.0)
    else:
        out["kind"] = "multiclass"
        out["n_classes"] = n_classes
        cls = P.argmax(axis=1).astype(np.uint8)
        out["classes"] = base64.b64encode(cls.tobytes()).decode("ascii")
        out["values"] = _bytes(2.0 * P.max(axis=1) - 1.0)
    return out


def input_maps(domain: Domain, names: list[str], inputs: Inputs) -> dict[str, Any]:
    """Each input feature over the plane, scaled by its largest absolute value (as
    :func:`neuron_maps`): what the input neurons "see"."""
    n = NEURON_GRID
    F = inputs(domain.grid(n))
    scale = np.abs(F).max(axis=0)
    scaled = F / np.where(scale > 0, scale, 1.0)
    return {"names": list(names), "grid": n, "values": _bytes(scaled.T.ravel())}


def neuron_maps(model: lw.Sequential, domain: Domain, inputs: Inputs) -> list[dict[str, Any]]:
    """Each neuron's own output over the input plane, one entry per layer.

    Every map is scaled by the largest absolute output of its neuron on the grid (an
    unbounded relu would otherwise saturate); ``scale`` keeps that factor per neuron.
    ``values`` holds ``units`` maps of ``grid * grid`` bytes each, neuron after neuron.
    """
    n = NEURON_GRID
    _, caches = model.forward(inputs(domain.grid(n)))
    maps = []
    for i, cache in enumerate(caches):
        A = np.asarray(cache.A, dtype=np.float64)
        scale = np.abs(A).max(axis=0)
        scaled = A / np.where(scale > 0, scale, 1.0)
        maps.append(
            {
                "layer": i,
                "grid": n,
                "units": int(A.shape[1]),
                "values": _bytes(scaled.T.ravel()),
                "scale": [round(float(s), 4) for s in scale],
            }
        )
    return maps


def weights(model: lw.Sequential) -> list[dict[str, Any]]:
    """W (n_in, units) and b (units,) of every layer as nested lists, to 4 decimals."""
    out = []
    for layer in cast("list[lw.Dense]", model.layers):  # the playground builds Dense only
        W = np.asarray(layer.W, dtype=np.float64)
        b = np.asarray(layer.b, dtype=np.float64)
        out.append({"W": _round(W).tolist(), "b": _round(b).tolist()})
    return out


def _round(a: np.ndarray) -> np.ndarray:
    return np.round(np.nan_to_num(a), 4)


def decimate(n: int, keep: list[int] | None = None, max_points: int = MAX_POINTS) -> np.ndarray:
    """Indices of at most ~``max_points`` of ``n`` points, evenly spaced, first and last
    included, plus the indices in ``keep`` (so the points beside an edit are drawn)."""
    if n <= max_points:
        return np.arange(n)
    idx = np.linspace(0, n - 1, max_points).round().astype(np.int64)
    if keep:
        extra = np.asarray([k for k in keep if 0 <= k < n], dtype=np.int64)
        idx = np.concatenate([idx, extra])
    return np.unique(idx)


def finite(x: float | None) -> float | None:
    """JSON has no NaN or infinity: send None instead."""
    if x is None:
        return None
    x = float(x)
    return x if np.isfinite(x) else None
