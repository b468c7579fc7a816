"""Pruning a hidden layer, the next layer refitted by least squares. Public as
:func:`layerwise.surgery.prune` and :func:`~layerwise.surgery.refit`."""

from __future__ import annotations

from typing import Any

import numpy as np

from layerwise.state import through_numpy
from layerwise.surgery._units import check_units, hidden_dense, next_dense, record, set_units


def _data_X(model: Any, data: Any, op: str) -> np.ndarray:
    """X from ``data``: an array (n, n_features), or a tuple (X, y) whose X is used."""
    if data is None:
        raise ValueError(f"{op}: data is required: X of shape (n, n_features), or (X, y)")
    if isinstance(data, tuple):
        if len(data) != 2:
            raise ValueError(f"{op}: data as a tuple must be (X, y), got {len(data)} items")
        data = data[0]
    return model.check_input(data, name=f"{op}: data")


def refit(
    A: np.ndarray, keep: np.ndarray, W: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The next layer's weights for the kept columns of ``A`` that best reproduce its
    pre-activation ``Z = A W + b``, in the least-squares sense.

    Solves ``min ||[A_keep, 1] [W'; b'] - Z||_F`` over ``W'`` (units, n_next) and ``b'``
    (n_next,), with ``A`` (n, old) the next layer's input on the data, ``keep`` the indices
    of the kept neurons, ``W`` (old, n_next) and ``b`` (n_next,) its current weights. Among
    the solutions (there are many when ``[A_keep, 1]`` has dependent columns: dead neurons,
    fewer samples than neurons) it takes the one closest to the current weights, by solving
    for the change with the minimum-norm ``numpy.linalg.lstsq``. Computed in float64.

    Returns
    -------
    W_new : ndarray (units, n_next)
    b_new : ndarray (n_next,)
    """
    A, W, b = (np.asarray(x, dtype=np.float64) for x in (A, W, b))
    D = np.column_stack([A[:, keep], np.ones(len(A))])
    W0 = np.vstack([W[keep], b])
    residual = (A @ W + b) - D @ W0
    delta = np.linalg.lstsq(D, residual, rcond=None)[0]
    new = W0 + delta
    return new[:-1], new[-1]


@through_numpy
def prune(model: Any, i: int, units: int, *, data: Any) -> float:
    """Keep the ``units`` most useful neurons of Dense hidden layer ``i``; refit the next
    Dense layer by least squares so that its pre-activation changes as little as possible.

    On ``data``, neuron k of layer i sends ``a_k w_k^T`` to the next layer (``a_k`` (n,) its
    output, ``w_k`` its row of the next ``W``). Its constant part goes into the refitted
    bias, so the neurons are ranked by ``||a_k - mean(a_k)|| * ||w_k||``, the size of what
    only they carry, and the top ``units`` are kept, in their original order. The next
    layer's weights and bias are then refitted on the kept outputs (see :func:`refit`): the
    dropped neurons' contribution is carried, as far as a linear map can, by the kept ones.
    Plain :func:`resize` keeps rows by weight norm alone and refits nothing.

    Parameters
    ----------
    model : Sequential
        Built; changed in place.
    i : int
        A Dense hidden layer (not the output layer). Layers between it and the next Dense
        layer may be parameter-free (Dropout) or per-unit (BatchNorm, pruned along).
    units : int
        Neurons to keep, 1 <= units <= the current width (equal: nothing changes).
    data : ndarray (n, n_features), or tuple (X, y)
        Inputs the ranking and the refit are computed on (of a tuple only X is used):
        the training set, or a large sample of it. Inference mode (no dropout).

    Returns
    -------
    float
        The relative change of the network's output on ``data``,
        ``||out_after - out_before||_F / ||out_before||_F`` (0.0 when nothing changed).

    Notes
    -----
    The refit is exact (change 0) when the dropped neurons' outputs are affine combinations
    of the kept ones' on ``data``. Optimizer state: the kept neurons keep theirs; the next
    layer's refitted weights and bias keep theirs too (same shape, new values). With fewer
    samples than kept neurons the fit can be exact on ``data`` and poor elsewhere.

    Examples
    --------
    >>> import numpy as np, layerwise as lw
    >>> X = np.random.default_rng(0).normal(size=(200, 3))
    >>> model = lw.mlp(3, [16], 2, seed=0, dtype="float64")
    >>> change = model.prune(0, 8, data=X)       # relative change of the outputs on X
    >>> model.layers[0].units, bool(0 <= change < 1)
    (8, True)
    """
    i = hidden_dense(model, i, "prune")
    units = check_units(units, "prune")
    layer = model.layers[i]
    old = layer.units
    if units > old:
        raise ValueError(
            f"prune: units={units} is more than the {old} neurons of layer {i}; prune only "
            f"shrinks a layer (to grow it use widen({i}, {units}))"
        )
    j = next_dense(model, i, "prune")
    X = _data_X(model, data, "prune")
    if units == old:
        return 0.0
    before, caches = model.forward(X)
    before = before.astype(np.float64)
    nxt = model.layers[j]
    A = caches[j].A_prev.astype(np.float64)
    score = np.linalg.norm(A - A.mean(axis=0), axis=0) * np.linalg.norm(nxt.W, axis=1)
    keep = np.sort(np.argsort(-score, kind="stable")[:units])
    W_next, b_next = refit(A, keep, nxt.W, nxt.b)
    dt = model.dtype
    set_units(model, i, j, keep, layer.W[:, keep], layer.b[keep], W_next.astype(dt))
    nxt.set_weights(nxt.W, b_next.astype(dt))
    record(model, f"prune layer {i}: {old} -> {units} units")
    change = np.linalg.norm(model.forward(X)[0] - before)
    scale = np.linalg.norm(before)
    return float(change / scale) if scale > 0 else float(change)
