"""Neuron-level edits shared by the surgery functions (:mod:`layerwise.surgery`): which
layers an operation may change, and how a layer's neurons, the per-unit layers after it and
the optimizer's state follow one index map ``src`` (new neuron c is old neuron ``src[c]``, or
fresh where ``src[c]`` is -1)."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from layerwise._internal.validation import check_index
from layerwise.layers import Dense, Layer


# ---------------------------------------------------------------------------- validation
def hidden_dense(model: Any, i: Any, op: str, *, dense: bool = True) -> int:
    """Index of a built hidden layer (a Dense one unless ``dense=False``), or a ValueError
    that says why not."""
    model._require_layers()
    i = check_index(i, len(model.layers))
    layer, last = model.layers[i], len(model.layers) - 1
    if dense and not isinstance(layer, Dense):
        before = [k for k in range(i) if isinstance(model.layers[k], Dense)]
        hint = f" (the Dense layer before it is layer {before[-1]})" if before else ""
        raise ValueError(
            f"{op}: layer {i} is a {type(layer).__name__}; {op} applies to Dense layers only{hint}"
        )
    if not layer.built:
        raise ValueError(
            f"{op}: the model is not built yet (its input width is unknown); call "
            "model.build(input_dim) first, or create the layer with the width you want"
        )
    if i == last:
        hidden = f"0..{last - 1}" if last else "none: the model has no hidden layer"
        raise ValueError(
            f"{op}: layer {i} is the output layer, whose width is fixed by the targets; "
            f"{op} a hidden layer instead (valid: {hidden})"
        )
    return i


def check_units(units: Any, op: str) -> int:
    if isinstance(units, bool) or not isinstance(units, numbers.Integral):
        raise TypeError(f"{op}: units must be a positive integer, got {type(units).__name__} "
                        f"{units!r}")  # fmt: skip
    if units <= 0:
        hint = "; to drop the layer use model.remove(i)" if units == 0 else ""
        raise ValueError(f"{op}: units must be a positive integer, got {units}{hint}")
    return int(units)


def unit_arrays(layer: Layer) -> dict[str, np.ndarray]:
    return {**layer.params(), **layer.buffers()}


def next_dense(model: Any, i: int, op: str) -> int:
    """Index of the first Dense layer after i, checking that the layers in between can follow
    a change of width: parameter-free ones (Dropout) or per-unit ones (BatchNorm), whose
    arrays are all of shape (units,) and held in attributes of the same name."""
    n = model.layers[i].units
    for j in range(i + 1, len(model.layers)):
        layer = model.layers[j]
        if isinstance(layer, Dense):
            return j
        why = None
        if layer.units != n:
            why = f"it changes the width ({n} -> {layer.units})"
        for name, arr in unit_arrays(layer).items():
            if arr.shape != (n,):
                why = f"its array {name!r} has shape {arr.shape}, not one value per unit ({n},)"
            elif getattr(layer, name, None) is not arr:
                why = f"its array {name!r} is not held in an attribute of that name"
        if why is not None:
            raise ValueError(
                f"{op}: cannot change the width of layer {i}: layer {j} "
                f"({type(layer).__name__}) sits between it and the next Dense layer and {why}"
            )
    raise ValueError(f"{op}: layer {i} has no Dense layer after it to take its new width")


# ---------------------------------------------------------------------------- remapping
def take_units(arr: np.ndarray, src: np.ndarray, axis: int, fill: np.ndarray | None) -> np.ndarray:
    """``arr`` indexed by ``src`` along ``axis``; where ``src`` is -1, ``fill``'s values
    (same shape as the result) or zeros."""
    fresh = src < 0
    out = np.take(arr, np.where(fresh, 0, src), axis=axis)
    if fresh.any():
        where = (slice(None),) * (axis % arr.ndim) + (fresh,)
        out[where] = 0 if fill is None else fill[where]
    return np.ascontiguousarray(out)


def remap_state(model: Any, key: str, old_shape: tuple, src: np.ndarray, axis: int) -> None:
    """Remap every array in the optimizer state of ``key`` that is shaped like the parameter
    (elementwise state: momentum, moments); new entries start at zero."""
    opt = getattr(model, "optimizer", None)
    entry = None if opt is None else opt.state.get(key)
    if not entry:
        return
    for name, arr in list(entry.items()):
        if isinstance(arr, np.ndarray) and arr.shape == old_shape:
            entry[name] = take_units(arr, src, axis, None)


def set_units(
    model: Any, i: int, j: int, src: np.ndarray, W: np.ndarray, b: np.ndarray, W_next: np.ndarray
) -> None:
    """Install layer i's new ``W``, ``b`` and layer j's new ``W``; carry the per-unit layers
    between them and every optimizer state along the same map ``src`` (new neuron c comes
    from old neuron ``src[c]``, or is fresh where ``src[c]`` is -1)."""
    layer, nxt = model.layers[i], model.layers[j]
    old_W, old_b, old_next = layer.W.shape, layer.b.shape, nxt.W.shape
    for k in range(i + 1, j):
        mid = model.layers[k]
        old = {name: arr for name, arr in unit_arrays(mid).items()}
        old_shapes = {p: getattr(mid, p).shape for p in mid.param_names}
        # a fresh build gives the defaults (gamma 1, running var 1, ...) for new units
        mid.build(len(src), model.rng, model.dtype)
        for name, arr in old.items():
            setattr(mid, name, take_units(arr, src, 0, getattr(mid, name)))
        for p in mid.param_names:
            remap_state(model, f"{mid.name}/{p}", old_shapes[p], src, 0)
    layer.set_weights(W, b)
    nxt.set_weights(W_next, nxt.b)
    remap_state(model, f"{layer.name}/W", old_W, src, 1)
    remap_state(model, f"{layer.name}/b", old_b, src, 0)
    remap_state(model, f"{nxt.name}/W", old_next, src, 0)


def record(model: Any, change: str) -> None:
    """Note a change of shape in ``model.events`` once training has started."""
    if model.epochs_trained:
        model.events.append({"epoch": model.epochs_trained, "change": change})
