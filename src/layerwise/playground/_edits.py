"""The network edits the page offers, each a call into the library's on-the-fly operations.

Growing keeps what the network computes (``widen``, ``deepen``); shrinking changes it as
little as the data allows (``prune``, which refits the next layer); removing a layer
(``remove``) and changing an activation or a weight change it. Each function changes
``model`` in place and returns ``(description, preserving)``.
"""

from __future__ import annotations

from typing import cast

import numpy as np

import layerwise as lw
from layerwise.playground._validate import PlaygroundError

__all__ = ["add_neuron", "remove_neuron", "add_layer", "remove_layer", "set_activation"]
__all__ += ["set_weight"]

SPLIT_SPREAD = 0.5  # shares of a widened neuron's outgoing weights: 1 +- 0.5, normalised


def _need(model: lw.Sequential, name: str) -> None:
    if not hasattr(model, name):
        raise PlaygroundError(
            f"this version of layerwise has no Sequential.{name}; update layerwise", status=501
        )


def add_neuron(model: lw.Sequential, i: int, *, max_units: int) -> tuple[str, bool]:
    """Widen hidden layer ``i`` by one neuron (Net2WiderNet, function-preserving).

    The copies share the outgoing weights unequally (``split``), so they learn apart while
    the loss stays where it was (``noise`` would perturb the incoming weights and move it).
    """
    _need(model, "widen")
    units = model.layers[i].units
    if units >= max_units:
        raise PlaygroundError(
            f"layer {i} already has {units} neurons, the most the playground allows ({max_units})"
        )
    model.widen(i, units + 1, split=SPLIT_SPREAD)
    return f"widen layer {i}: {units} -> {units + 1} neurons", True


def remove_neuron(model: lw.Sequential, i: int, *, data: np.ndarray) -> tuple[str, bool]:
    """Shrink hidden layer ``i`` by one neuron.

    ``prune`` keeps the neurons that matter most on ``data`` (the training inputs) and refits
    the next layer by least squares, so the function changes as little as it can; a
    library without ``prune`` falls back to ``resize`` (drops the least used neuron, no refit).
    """
    units = model.layers[i].units
    if units <= 1:
        raise PlaygroundError(
            f"layer {i} has a single neuron; remove the layer instead of its last neuron"
        )
    try:
        change = model.prune(i, units - 1, data=data)
    except NotImplementedError:  # prune not landed in this version of layerwise
        _need(model, "resize")
        model.resize(i, units - 1)
        return f"resize layer {i}: {units} -> {units - 1} neurons", False
    return (
        f"prune layer {i}: {units} -> {units - 1} neurons, next layer refitted "
        f"(output changed by {100 * change:.2g}%)",
        False,
    )


def add_layer(model: lw.Sequential, i: int, *, max_layers: int) -> tuple[str, bool]:
    """Insert a hidden layer after layer ``i`` (``-1``: in front), keeping the function.

    ``deepen`` adds an identity-initialised layer. Its activation is relu after a
    non-negative activation (relu, sigmoid, softplus: still the identity on those outputs,
    and non-linear for what comes next), else identity (tanh after tanh would change the
    outputs); the page's activation menu can change it afterwards.
    """
    n_hidden = len(model.layers) - 1
    if n_hidden >= max_layers:
        raise PlaygroundError(
            f"the network already has {n_hidden} hidden layers, the most the playground "
            f"allows ({max_layers})"
        )
    if i < 0:
        # in front of everything: a 2-unit identity layer is the identity on the inputs
        layer = lw.Dense(2, "identity")
        model.insert(0, layer)
        layer.W[...] = np.eye(2, dtype=layer.W.dtype)
        layer.b[...] = 0.0
        return "new identity layer 0 (2 neurons) in front", True
    _need(model, "deepen")
    layer = cast(lw.Dense, model.layers[i])  # the playground builds Dense layers only
    act = "relu" if layer.activation.nonnegative else "identity"
    model.deepen(i, activation=act)
    return f"deepen after layer {i}: new {act} layer {i + 1}", True


def remove_layer(model: lw.Sequential, i: int) -> tuple[str, bool]:
    """Remove hidden layer ``i``; the next layer's inputs are repaired (not preserving)."""
    model.remove(i)
    return f"remove layer {i}", False


def set_activation(model: lw.Sequential, i: int, activation: str) -> tuple[str, bool]:
    """Give hidden layer ``i`` another activation (weights kept, function changed)."""
    layer = cast(lw.Dense, model.layers[i])  # the playground builds Dense layers only
    old = layer.activation.name
    layer.activation = lw.activations.get(activation)
    return f"activation of layer {i}: {old} -> {activation}", activation == old


def set_weight(model: lw.Sequential, i: int, k: int, j: int, value: float) -> tuple[str, bool]:
    """Set ``W[k, j]`` of layer ``i`` (``k = -1``: the bias ``b[j]``) to ``value``."""
    layer = cast(lw.Dense, model.layers[i])  # the playground builds Dense layers only
    if k < 0:
        old, layer.b[j] = float(layer.b[j]), value
        return f"bias of neuron {j} in layer {i}: {old:.4g} -> {value:.4g}", old == value
    old, layer.W[k, j] = float(layer.W[k, j]), value
    return f"weight {k} -> {j} into layer {i}: {old:.4g} -> {value:.4g}", old == value
