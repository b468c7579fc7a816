"""Surgery on a trained network: change its shape without losing what it learned.

Every function takes a :class:`~layerwise.model.Sequential` and changes it in place, between
training steps or epochs; ``Sequential.widen``, ``deepen``, ``resize``, ``freeze`` and
``unfreeze`` are thin methods over them.

=====================  ==========================================  =======================
function               what changes                                the network's function
=====================  ==========================================  =======================
``widen(i, units)``    Dense hidden layer i grows to ``units``     preserved (noise=0)
                       neurons (Net2WiderNet)
``deepen(i)``          an identity-initialised Dense layer is      preserved (or refused)
                       inserted after layer i
``resize(i, units)``   layer i shrinks or grows, overlapping       changed
                       weights kept
``freeze(i)``          layer i stops learning (``trainable``)      unchanged
=====================  ==========================================  =======================

The optimizer follows every change. Its state (``model.optimizer.state``, keyed
``"<layer name>/<param>"``) is left alone for untouched parameters; for a parameter whose
shape changes, every state array shaped like that parameter (momentum buffers, Adam's
moments, ...) is remapped with the same index map as the weights: a Net2Net copy takes the
state of the neuron it copies, a kept neuron keeps its own, a brand-new neuron starts at 0.
Arrays of any other shape (step counters) are kept as they are. Each change made after
training started is recorded in ``model.events`` (and so in ``History.events``) as
``{"epoch": e, "change": "widen layer 1: 8 -> 12 units"}``, short enough to label a plot.

>>> import numpy as np, layerwise as lw
>>> model = lw.mlp(3, [4], 1, activation="relu", seed=0, dtype="float64")
>>> X = np.random.default_rng(1).normal(size=(5, 3))
>>> before = model.predict(X)
>>> model.widen(0, 7).deepen(0).layers[0].units, len(model.layers)
(7, 3)
>>> bool(np.allclose(model.predict(X), before, rtol=1e-12, atol=1e-12))
True
"""

from __future__ import annotations

import copy
import numbers
from typing import Any

import numpy as np

from layerwise import activations as _activations
from layerwise._validation import check_index, check_range
from layerwise.layers import Dense, Layer

__all__ = ["widen", "deepen", "resize", "freeze", "unfreeze", "match_input", "preserves"]
__all__ += ["output_activation", "preserving_activation"]

# Activations that are the identity on [0, inf): after a layer whose outputs are all >= 0,
# an identity-initialised layer with one of these leaves every value unchanged.
_IDENTITY_ON_NONNEGATIVE = (_activations.ReLU, _activations.LeakyReLU, _activations.ELU)


# ---------------------------------------------------------------------------- validation
def _hidden_dense(model: Any, i: Any, op: str, *, dense: bool = True) -> int:
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


def _check_units(units: Any, op: str) -> int:
    if isinstance(units, bool) or not isinstance(units, numbers.Integral):
        raise TypeError(f"{op}: units must be a positive integer, got {type(units).__name__} "
                        f"{units!r}")  # fmt: skip
    if units <= 0:
        hint = "; to drop the layer use model.remove(i)" if units == 0 else ""
        raise ValueError(f"{op}: units must be a positive integer, got {units}{hint}")
    return int(units)


def _unit_arrays(layer: Layer) -> dict[str, np.ndarray]:
    return {**layer.params(), **layer.buffers()}


def _next_dense(model: Any, i: int, op: str) -> int:
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
        for name, arr in _unit_arrays(layer).items():
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
def _take(arr: np.ndarray, src: np.ndarray, axis: int, fill: np.ndarray | None) -> np.ndarray:
    """``arr`` indexed by ``src`` along ``axis``; where ``src`` is -1, ``fill``'s values
    (same shape as the result) or zeros."""
    fresh = src < 0
    out = np.take(arr, np.where(fresh, 0, src), axis=axis)
    if fresh.any():
        where = (slice(None),) * (axis % arr.ndim) + (fresh,)
        out[where] = 0 if fill is None else fill[where]
    return np.ascontiguousarray(out)


def _remap_state(model: Any, key: str, old_shape: tuple, src: np.ndarray, axis: int) -> None:
    """Remap every array in the optimizer state of ``key`` that is shaped like the parameter
    (elementwise state: momentum, moments); new entries start at zero."""
    opt = getattr(model, "optimizer", None)
    entry = None if opt is None else opt.state.get(key)
    if not entry:
        return
    for name, arr in list(entry.items()):
        if isinstance(arr, np.ndarray) and arr.shape == old_shape:
            entry[name] = _take(arr, src, axis, None)


def _set_units(model: Any, i: int, j: int, src: np.ndarray, W, b, W_next) -> None:
    """Install layer i's new ``W``, ``b`` and layer j's new ``W``; carry the per-unit layers
    between them and every optimizer state along the same map ``src`` (new neuron c comes
    from old neuron ``src[c]``, or is fresh where ``src[c]`` is -1)."""
    layer, nxt = model.layers[i], model.layers[j]
    old_W, old_b, old_next = layer.W.shape, layer.b.shape, nxt.W.shape
    for k in range(i + 1, j):
        mid = model.layers[k]
        old = {name: arr for name, arr in _unit_arrays(mid).items()}
        old_shapes = {p: getattr(mid, p).shape for p in mid.param_names}
        # a fresh build gives the defaults (gamma 1, running var 1, ...) for new units
        mid.build(len(src), model.rng, model.dtype)
        for name, arr in old.items():
            setattr(mid, name, _take(arr, src, 0, getattr(mid, name)))
        for p in mid.param_names:
            _remap_state(model, f"{mid.name}/{p}", old_shapes[p], src, 0)
    layer.set_weights(W, b)
    nxt.set_weights(W_next, nxt.b)
    _remap_state(model, f"{layer.name}/W", old_W, src, 1)
    _remap_state(model, f"{layer.name}/b", old_b, src, 0)
    _remap_state(model, f"{nxt.name}/W", old_next, src, 0)


# ---------------------------------------------------------------------------- operations
def widen(
    model: Any,
    i: int,
    units: int,
    *,
    noise: float = 0.0,
    init: str = "copy",
    split: float = 0.0,
    data: Any = None,
    loss: Any = None,
) -> np.ndarray:
    """Grow Dense hidden layer ``i`` to ``units`` neurons, keeping the function (Net2WiderNet).

    Each new neuron copies an existing one chosen at random (from ``model.rng``): its
    incoming weights ``W[:, k]`` and bias ``b[k]``. The next Dense layer's incoming rows of a
    neuron copied ``c`` times (itself included) are divided by ``c``, so the copies together
    send exactly what the neuron sent alone: with ``noise=0`` the outputs are unchanged.

    Parameters
    ----------
    model : Sequential
        Built; changed in place.
    i : int
        A Dense hidden layer (not the output layer). Layers between it and the next Dense
        layer may be parameter-free (Dropout) or per-unit (BatchNorm: its per-unit parameters
        and running statistics are copied along).
    units : int
        New width, >= the current one (equal: nothing changes).
    noise : float, default 0.0
        Standard deviation, relative to the std of layer i's ``W``, of Gaussian noise added
        to the new neurons' incoming weights, to break the symmetry between copies. The
        function then changes slightly.
    split : float in [0, 1), default 0.0
        Break the symmetry without changing the function: the copies of a neuron share its
        outgoing row in random proportions ``1 + split * U(-1, 1)`` (normalised to sum to
        1) instead of equally. Their outputs stay equal, so the next layer receives exactly
        what it did, but their gradients now differ and they learn apart. With ``noise=0``
        and ``split=0`` the copies stay identical for ever.

    Returns
    -------
    src : ndarray of int, shape (units,)
        ``src[c]`` is the old neuron that neuron c is (or copies); ``src[:old] = arange(old)``.

    Notes
    -----
    Optimizer state follows the copies: the new columns of ``W``/``b`` and the new rows of
    the next ``W`` take the state of their source. For the next layer's rows that is the
    right scale (their gradient equals the source row's gradient); for the incoming weights
    the gradient of each copy is the source's divided by ``c``, so momentum and first
    moments start ``c`` times too large and fade at the optimizer's decay rate.
    """
    i = _hidden_dense(model, i, "widen")
    units = _check_units(units, "widen")
    layer = model.layers[i]
    old = layer.units
    if units < old:
        raise ValueError(
            f"widen: units={units} is fewer than the {old} neurons of layer {i}; widen only "
            f"grows a layer (to shrink it use resize({i}, {units}))"
        )
    if (
        isinstance(noise, bool)
        or not isinstance(noise, numbers.Real)
        or not (np.isfinite(noise) and noise >= 0)
    ):
        raise ValueError(f"widen: noise must be a finite number >= 0, got {noise!r}")
    split = check_range(split, "widen: split", 0.0, 1.0)
    j = _next_dense(model, i, "widen")
    if units == old:
        return np.arange(old)
    src = np.concatenate([np.arange(old), model.rng.integers(0, old, units - old)])
    W, b = layer.W[:, src], layer.b[src]
    if noise > 0:
        scale = float(noise) * (float(layer.W.std()) or 1.0)
        W[:, old:] += (scale * model.rng.standard_normal((W.shape[0], units - old))).astype(W.dtype)
    W_next = model.layers[j].W[src]
    if split > 0:  # random shares of each group of copies, summing to 1
        share = 1.0 + split * model.rng.uniform(-1.0, 1.0, units)
        share /= np.bincount(src, weights=share, minlength=old)[src]
        W_next *= share[:, None].astype(W_next.dtype)
    else:  # equal shares
        W_next /= np.bincount(src, minlength=old)[src][:, None].astype(W_next.dtype)
    _set_units(model, i, j, src, np.ascontiguousarray(W), b, W_next)
    model._record(f"widen layer {i}: {old} -> {units} units")
    return src


def resize(model: Any, i: int, units: int) -> np.ndarray:
    """Shrink or grow Dense hidden layer ``i`` to ``units`` neurons, keeping the overlap.

    Not function-preserving. Shrinking keeps the ``units`` neurons with the largest outgoing
    weight norm (the L2 norm of their row in the next Dense layer's ``W``), in their original
    order. Growing keeps every neuron and adds new ones drawn from the layers' initialisers
    (incoming columns and outgoing rows; biases 0).

    Parameters
    ----------
    model : Sequential
    i : int
        A Dense hidden layer.
    units : int
        New width, > 0.

    Returns
    -------
    src : ndarray of int, shape (units,)
        The old neuron each new neuron is, or -1 for a new one. Optimizer state follows:
        kept neurons keep theirs, new ones start at zero.
    """
    i = _hidden_dense(model, i, "resize")
    units = _check_units(units, "resize")
    layer = model.layers[i]
    old = layer.units
    j = _next_dense(model, i, "resize")
    if units == old:
        return np.arange(old)
    nxt = model.layers[j]
    fresh_W = fresh_next = None
    if units < old:
        norms = np.linalg.norm(nxt.W, axis=1)
        src = np.sort(np.argsort(-norms, kind="stable")[:units])
    else:
        src = np.concatenate([np.arange(old), np.full(units - old, -1)])
        # drawn at the new width so the new weights have the scale of a layer of that width
        fresh_W = layer.initializer()(model.rng, layer.n_in, units, model.dtype)
        fresh_next = nxt.initializer()(model.rng, units, nxt.units, model.dtype)
    W = _take(layer.W, src, 1, fresh_W)
    b = _take(layer.b, src, 0, None)
    W_next = _take(nxt.W, src, 0, fresh_next)
    _set_units(model, i, j, src, W, b, W_next)
    model._record(f"resize layer {i}: {old} -> {units} units")
    return src


def preserves(previous: Any, activation: Any) -> bool:
    """Whether an identity-initialised layer with ``activation`` after a layer with activation
    ``previous`` leaves every output unchanged: identity always; relu, leaky_relu and elu
    (the identity on [0, inf)) after a non-negative activation (relu, sigmoid, softplus,
    softmax)."""
    previous, activation = _activations.get(previous), _activations.get(activation)
    if isinstance(activation, _activations.Identity):
        return True
    return bool(previous.nonnegative) and isinstance(activation, _IDENTITY_ON_NONNEGATIVE)


def output_activation(model: Any, i: int) -> _activations.Activation:
    """The activation that last shaped layer ``i``'s outputs: its own (Dense, BatchNorm), or,
    through parameter-free layers such as Dropout (which keep signs), that of the layer
    before; identity when none is known (raw inputs can be anything)."""
    for k in range(check_index(i, len(model.layers)), -1, -1):
        layer = model.layers[k]
        act = getattr(layer, "activation", None)
        if isinstance(act, _activations.Activation):
            return act
        if layer.params() or layer.buffers():
            break
    return _activations.Identity()


def preserving_activation(model: Any, i: int) -> str:
    """The activation :func:`deepen` can use after layer ``i`` while keeping the function:
    that of layer i when it preserves, else ``"relu"`` after non-negative outputs, else
    ``"identity"`` (a linear layer, the only preserving choice after tanh, elu, ...)."""
    prev = output_activation(model, i)
    if preserves(prev, prev):
        return prev.name
    return "relu" if prev.nonnegative else "identity"


def deepen(model: Any, i: int, *, activation: Any = None) -> Dense:
    """Insert after hidden layer ``i`` a Dense layer of the same width with ``W = I`` and
    ``b = 0``, keeping the function (Net2DeeperNet).

    Parameters
    ----------
    model : Sequential
    i : int
        A hidden layer (not the output layer): usually Dense, or a BatchNorm (whose
        activation then counts) or a Dropout (the activation before it counts).
    activation : str or Activation, optional
        The new layer's activation; by default that of layer i (see
        :func:`output_activation`). It must leave layer i's outputs unchanged (see
        :func:`preserves`): ``"identity"`` always does; ``"relu"`` does after relu, sigmoid,
        softplus or softmax.

    Returns
    -------
    Dense
        The new layer, at position ``i + 1``, W of shape (units, units).

    Raises
    ------
    ValueError
        When the activation would change the function (tanh after tanh, sigmoid after
        sigmoid, relu after tanh, ...): the message says why and what to pass instead.

    Notes
    -----
    The new layer has no L2 penalty and no optimizer state yet; the identity it starts
    from is exact in inference mode (Dropout after it still draws its own mask in training).
    """
    i = _hidden_dense(model, i, "deepen", dense=False)
    layer = model.layers[i]
    prev = output_activation(model, i)
    act = copy.copy(prev) if activation is None else _activations.get(activation)
    if not preserves(prev, act):
        if isinstance(act, _IDENTITY_ON_NONNEGATIVE):
            why = f"{prev.name} outputs can be negative and {act.name} changes them"
        else:
            why = f"{act.name}(a) != a for the outputs a of layer {i} ({prev.name})"
        fix = 'activation="identity" (always preserving)'
        if prev.nonnegative:
            fix += ' or activation="relu"'
        raise ValueError(
            f"deepen({i}): a new identity-initialised {act.name} layer after layer {i} "
            f"({prev.name}) would change the network's outputs: {why}. Pass {fix}, or use "
            "model.insert(...) for a layer that need not preserve the function"
        )
    units = layer.units
    new = Dense(units, act)
    model._name(new)
    new.set_weights(np.eye(units, dtype=model.dtype), np.zeros(units, dtype=model.dtype))
    model.layers.insert(i + 1, new)
    model._record(f"deepen layer {i}: + {act.name} layer")
    return new


def match_input(model: Any, i: int, n_in: int) -> None:
    """Give Dense layer ``i`` an input width of ``n_in``, keeping the rows of inputs that
    survive (the first ``min(n_in, old)``) and drawing new rows from its initialiser; the
    optimizer state of ``W`` keeps the same rows, new ones start at zero. Used by
    ``Sequential.insert``/``remove`` to repair the layer after a change."""
    layer = model.layers[i]
    old = layer.n_in
    src = np.concatenate([np.arange(min(n_in, old)), np.full(max(n_in - old, 0), -1)])
    fresh = layer.initializer()(model.rng, n_in, layer.units, model.dtype)
    old_shape = layer.W.shape
    layer.set_weights(_take(layer.W, src, 0, fresh), layer.b)
    _remap_state(model, f"{layer.name}/W", old_shape, src, 0)


def _set_trainable(model: Any, i: int, trainable: bool) -> None:
    model._require_layers()
    i = check_index(i, len(model.layers))
    layer = model.layers[i]
    if layer.trainable != trainable:
        layer.trainable = trainable
        model._record(f"{'unfreeze' if trainable else 'freeze'} layer {i}")


def freeze(model: Any, i: int) -> None:
    """Stop layer ``i`` from learning: updates (``update``, ``fit``, every optimizer) skip its
    parameters, which stay bit-identical. Its optimizer state is kept for :func:`unfreeze`."""
    _set_trainable(model, i, False)


def unfreeze(model: Any, i: int) -> None:
    """Let layer ``i`` learn again (its optimizer state resumes where it was frozen)."""
    _set_trainable(model, i, True)


def prune(model: Any, i: int, units: int, *, data: Any) -> float:
    """Keep the ``units`` most useful neurons of hidden layer ``i``; refit the next layer.

    Not built yet (issue 16).
    """
    raise NotImplementedError("prune is being built (issue 16)")
