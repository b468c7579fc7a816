"""The network of an estimator: a layerwise Sequential over ``coefs_``/``intercepts_``.

scikit-learn's fitted MLP *is* its lists ``coefs_`` and ``intercepts_`` (a user may assign
them, or items of them, before a ``partial_fit``); ours is a :class:`layerwise.Sequential`
whose Dense layers hold those very arrays. :func:`sync` keeps the two views one object:
after a change of shape made on the network (``model_.widen(0, 64)``) the lists follow it,
after an assignment to the lists the network follows them.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
from scipy import sparse

from layerwise.layers import Dense
from layerwise.model import Sequential
from layerwise.regularization import Dropout

# scikit-learn's activation names -> layerwise's ("logistic" is our "sigmoid"); the other
# layerwise hidden activations are accepted by their own names
HIDDEN = {"identity": "identity", "logistic": "sigmoid", "tanh": "tanh", "relu": "relu"}
# scikit-learn's out_activation_ -> the output layer's activation; "exp" (Poisson) has no
# layerwise activation: the output layer is linear and the estimator applies exp itself
OUTPUT = {"identity": "identity", "logistic": "sigmoid", "softmax": "softmax", "exp": "identity"}


def dense_layers(net: Sequential) -> list[Dense]:
    return [layer for layer in net.layers if isinstance(layer, Dense)]


def _lists(est: Any) -> tuple[list[Any], list[Any]]:
    # the stored lists themselves (est.coefs_ is a property that calls follow())
    return est.__dict__["coefs_"], est.__dict__["intercepts_"]


def _bound(est: Any) -> list[np.ndarray]:
    coefs, intercepts = _lists(est)
    return [a for pair in zip(coefs, intercepts, strict=True) for a in pair]


def build(est: Any) -> Sequential:
    """A new network whose Dense layers hold ``est.coefs_[i]`` and ``est.intercepts_[i]``."""
    coefs, intercepts = _lists(est)
    hidden = HIDDEN.get(est.activation, est.activation)
    dropout = float(getattr(est, "dropout", 0.0) or 0.0)
    layers: list[Any] = []
    for i, W in enumerate(coefs):
        last = i == len(coefs) - 1
        layers.append(Dense(np.shape(W)[1], OUTPUT[est.out_activation_] if last else hidden))
        if dropout and not last:
            layers.append(Dropout(dropout))
    # a draw only when dropout needs one, so that the weights and the shuffling follow
    # scikit-learn's RandomState sequence draw for draw
    seed = int(est._random_state.randint(np.iinfo(np.int32).max)) if dropout else 0
    dtype = np.asarray(coefs[0]).dtype if coefs else np.float64
    net = Sequential(layers, input_dim=np.shape(coefs[0])[0], seed=seed, dtype=np.dtype(dtype).name)
    for layer, W, b in zip(dense_layers(net), coefs, intercepts, strict=True):
        layer.set_weights(np.asarray(W), np.asarray(b))
    est.__dict__["coefs_"] = [layer.W for layer in dense_layers(net)]
    est.__dict__["intercepts_"] = [layer.b for layer in dense_layers(net)]
    est._net, est._net_arrays = net, _bound(est)
    return net


def view(est: Any) -> Sequential:
    """A network over exactly the arrays in ``est.coefs_``/``est.intercepts_`` (the ones
    a fit trains in place), for the model's one snapshot/restore of weights; ``est`` is
    fitted (``coefs_`` set). It binds nothing and draws nothing (``est._net`` may be out of date
    after an assignment, and rebuilding it here would draw from the RandomState early),
    and its layers are named the same on every call, so that a snapshot of one view
    restores into another."""
    follow(est)
    coefs, intercepts = _lists(est)
    pairs = [
        (W, b)
        for W, b in zip(coefs, intercepts)
        if isinstance(W, np.ndarray) and isinstance(b, np.ndarray) and W.ndim == 2
    ]
    net = Sequential([Dense(W.shape[1], "identity") for W, _ in pairs], dtype="float64")
    for layer, (W, b) in zip(dense_layers(net), pairs, strict=True):
        layer.set_weights(W, b)
    return net


def follow(est: Any) -> None:
    """After a change made on the network in place (surgery: ``model_.widen(0, 64)``),
    point ``coefs_``/``intercepts_`` at its new arrays."""
    net = est.__dict__.get("_net")
    if net is None:
        return
    dense = dense_layers(net)
    now = [a for layer in dense for a in (layer.W, layer.b)]
    bound = est._net_arrays
    if len(now) != len(bound) or any(a is not b for a, b in zip(now, bound, strict=True)):
        est.__dict__["coefs_"] = [layer.W for layer in dense]
        est.__dict__["intercepts_"] = [layer.b for layer in dense]
        est.n_layers_ = len(dense) + 1
        est._net_arrays = _bound(est)


def sync(est: Any) -> Sequential:
    """The network of ``est``, made to agree with ``coefs_``/``intercepts_`` (whichever
    of the two changed since the last call wins)."""
    if est.__dict__.get("_net") is None:
        return build(est)
    follow(est)
    coefs, intercepts = _lists(est)
    now = est._net_arrays
    listed = _bound(est) if len(coefs) == len(intercepts) else []
    if len(listed) != len(now) or any(a is not b for a, b in zip(listed, now, strict=True)):
        return build(est)  # coefs_/intercepts_ (or items of them) were assigned
    return est._net


def forward(net: Sequential, X: Any, *, training: bool = False) -> tuple[Any, list[Any]]:
    """``(A, caches)`` of every layer, by each layer's own ``forward``. A sparse X is
    made dense here, one batch at a time (the layers compute on dense arrays)."""
    A, caches = (X.toarray() if sparse.issparse(X) else X), []
    for layer in net.layers:
        A, cache = layer.forward(A, training=training, rng=net.rng)
        caches.append(cache)
    return A, caches


def backward(net: Sequential, caches: list[Any], delta: np.ndarray) -> list[Any]:
    """Grads of every Dense layer (in order) from ``delta``, the loss gradient with respect
    to the output layer's Z (sklearn's canonical ``out - Y``, already weighted and scaled)."""
    grads: list[Any] = []
    dA = None
    for i in range(len(net.layers) - 1, -1, -1):
        layer, cache = net.layers[i], caches[i]
        need = i > 0
        if dA is None:
            # the output layer (build makes it Dense): delta is its dL/dZ already
            dA, g = cast(Dense, layer).backward_linear(delta, cache, need_dA_prev=need)
        else:
            dA, g = layer.backward(dA, cache, need_dA_prev=need)
        if isinstance(layer, Dense):
            grads.append(g)
    return grads[::-1]
