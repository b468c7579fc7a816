"""The surgery functions that change a layer's place or shape: resize, deepen, insert,
remove, freeze (widen and prune live beside them, in ``_widen`` and ``_prune``)."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from layerwise import activations as _activations
from layerwise._internal.validation import check_index
from layerwise.layers import Dense, Layer
from layerwise.state import through_numpy
from layerwise.surgery._units import (
    check_units,
    hidden_dense,
    next_dense,
    record,
    remap_state,
    set_units,
    take_units,
)

# Activations that are the identity on [0, inf): after a layer whose outputs are all >= 0,
# an identity-initialised layer with one of these leaves every value unchanged.
_IDENTITY_ON_NONNEGATIVE = (_activations.ReLU, _activations.LeakyReLU, _activations.ELU)


@through_numpy
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
    i = hidden_dense(model, i, "resize")
    units = check_units(units, "resize")
    layer = model.layers[i]
    old = layer.units
    j = next_dense(model, i, "resize")
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
    W = take_units(layer.W, src, 1, fresh_W)
    b = take_units(layer.b, src, 0, None)
    W_next = take_units(nxt.W, src, 0, fresh_next)
    set_units(model, i, j, src, W, b, W_next)
    record(model, f"resize layer {i}: {old} -> {units} units")
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


@through_numpy
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
    i = hidden_dense(model, i, "deepen", dense=False)
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
    _name(model, new)
    new.set_weights(np.eye(units, dtype=model.dtype), np.zeros(units, dtype=model.dtype))
    model.layers.insert(i + 1, new)
    _renumber(model)
    record(model, f"deepen layer {i}: + {act.name} layer")
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
    layer.set_weights(take_units(layer.W, src, 0, fresh), layer.b)
    remap_state(model, f"{layer.name}/W", old_shape, src, 0)


def _name(model: Any, layer: Layer) -> None:
    """Give ``layer`` a name unique in ``model`` (kept if it has one not yet taken)."""
    taken = {l.name for l in model.layers if l is not layer}
    while layer.name is None or layer.name in taken:
        layer.name = f"{type(layer).__name__.lower()}_{model._name_counter}"
        model._name_counter += 1


def _renumber(model: Any) -> None:
    """Give automatically named layers the name of their position (``dense_0``, ``dropout_1``,
    ``dense_2`` ... from the input, as a new model names them), so that ``summary()``, saved
    files and optimizer keys read in network order after an insert, deepen or remove. Their
    optimizer state moves to the new keys; names a user gave (any other name) are kept."""
    auto = {id(l): f"{type(l).__name__.lower()}_{k}" for k, l in enumerate(model.layers)}
    for layer in model.layers:
        stem, _, number = (layer.name or "").rpartition("_")
        if stem != type(layer).__name__.lower() or not number.isdigit():
            auto.pop(id(layer))
    kept = {l.name for l in model.layers if id(l) not in auto}
    if kept & set(auto.values()):  # a user's name that looks automatic: leave every name
        return
    moved = {}
    for layer in model.layers:
        if id(layer) in auto and layer.name != auto[id(layer)]:
            moved[f"{layer.name}/"], layer.name = f"{auto[id(layer)]}/", auto[id(layer)]
    opt = model.optimizer
    if moved and opt is not None:
        renamed = {}
        for key, slots in opt.state.items():
            name, _, param = key.rpartition("/")
            renamed[moved.get(f"{name}/", f"{name}/") + param] = slots
        opt.state = renamed


def _check_layer(model: Any, layer: Any) -> Layer:
    if not isinstance(layer, Layer):
        raise TypeError(
            f"expected a Layer such as lw.Dense(units, activation), got "
            f"{type(layer).__name__} {layer!r}"
        )
    if any(layer is l for l in model.layers):
        raise ValueError(f"layer {layer!r} is already in this model; create a new one")
    return layer


@through_numpy
def insert(model: Any, i: int, layer: Layer) -> None:
    """Insert ``layer`` at position ``i`` (0 = first), repairing the next layer's input.

    If the model is built, the new layer is built at once, and the layer after it gets
    its input width matched (weights of surviving inputs kept, new ones initialised).
    """
    _check_layer(model, layer)
    if isinstance(i, bool) or not isinstance(i, int | np.integer):
        raise TypeError(f"insert position must be an integer, got {i!r}")
    n = len(model.layers)
    if not 0 <= i <= n:
        raise ValueError(f"insert position {i} is out of range (valid: 0..{n})")
    n_in = model._n_in_of(i)
    if n_in is not None:  # built (or refused, e.g. too large) before the model changes
        layer.build(n_in, model.rng, model.dtype)
    _name(model, layer)
    model.layers.insert(i, layer)
    if n_in is not None:
        repair(model, i + 1)
    _renumber(model)
    record(model, f"insert {layer.describe() or type(layer).__name__} layer at {i}")


@through_numpy
def remove(model: Any, i: int) -> Layer:
    """Remove and return layer ``i``; the next layer's input width is repaired.

    The output layer cannot be removed (the loss is defined on it).
    """
    model._require_layers()
    i = check_index(i, len(model.layers))
    if i == len(model.layers) - 1:
        raise ValueError(
            f"layer {i} is the output layer and cannot be removed; insert a new output "
            "layer after it first, or build a new model"
        )
    layer = model.layers.pop(i)
    _forget(model, layer)
    repair(model, i)
    _renumber(model)
    record(model, f"remove layer {i} ({layer.name})")
    return layer


def repair(model: Any, i: int) -> None:
    """Make layer i's input width match the output of layer i-1 (keeping overlap)."""
    if i >= len(model.layers):
        return
    layer, n_in = model.layers[i], model._n_in_of(i)
    if n_in is None or (layer.built and layer.n_in == n_in):
        return
    if not layer.built or not isinstance(layer, Dense):
        layer.build(n_in, model.rng, model.dtype)
        _forget(model, layer)
        repair(model, i + 1)
        return
    # surviving input rows and their optimizer state are kept; new rows drawn fresh
    match_input(model, i, n_in)


def _forget(model: Any, layer: Layer) -> None:
    """Drop optimizer state of a layer whose parameters changed shape or left."""
    if model.optimizer is not None and layer.name is not None:
        model.optimizer.forget(prefix=f"{layer.name}/")


def _set_trainable(model: Any, i: int, trainable: bool) -> None:
    model._require_layers()
    i = check_index(i, len(model.layers))
    layer = model.layers[i]
    if layer.trainable != trainable:
        layer.trainable = trainable
        record(model, f"{'unfreeze' if trainable else 'freeze'} layer {i}")


def freeze(model: Any, i: int) -> None:
    """Stop layer ``i`` from learning: updates (``update``, ``fit``, every optimizer) skip its
    parameters, which stay bit-identical. Its optimizer state is kept for :func:`unfreeze`."""
    _set_trainable(model, i, False)


def unfreeze(model: Any, i: int) -> None:
    """Let layer ``i`` learn again (its optimizer state resumes where it was frozen)."""
    _set_trainable(model, i, True)
