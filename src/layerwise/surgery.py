"""Surgery on a trained network: change its shape without losing what it learned.

Every function takes a :class:`~layerwise.model.Sequential` and changes it in place, between
training steps or epochs; ``Sequential.widen``, ``prune``, ``deepen``, ``resize``, ``freeze``
and ``unfreeze`` are thin methods over them.

=====================  ==========================================  =======================
function               what changes                                the network's function
=====================  ==========================================  =======================
``widen(i, units)``    Dense hidden layer i grows to ``units``     preserved (noise=0)
                       neurons: copies (Net2WiderNet) or fresh
                       ones (``init="gradmax"``, random, zeros)
``prune(i, units)``    layer i keeps its most useful neurons;      changed as little as a
                       the next layer is refitted on ``data``      least-squares refit can
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
from layerwise._validation import check_allocation, check_index, check_range, check_same_length
from layerwise.layers import Dense, Layer

__all__ = ["widen", "deepen", "resize", "prune", "refit", "gradmax_matrix", "freeze", "unfreeze"]
__all__ += ["gradmax_rows"]
__all__ += ["match_input", "preserves"]
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
INITS = ("copy", "gradmax", "random", "zeros")

# Bias of a fresh neuron (zero incoming weights) whose activation's slope at 0 is far below
# its slope just above 0 (relu: 0 vs 1, leaky_relu: 0.01 vs 1): there a neuron with zero
# incoming weights and zero bias would sit on the kink and get no gradient (relu: never).
# Any value on the linear side works; the next layer's bias absorbs f(b0) exactly.
_KINK_BIAS = 1e-3


def check_init(
    init: Any, noise: float, split: float, data: Any, loss: Any, who: str = "widen"
) -> str:
    """``init`` of :func:`widen` (or of ``who``), checked with its companions."""
    if not isinstance(init, str):
        raise TypeError(f"{who}: init must be one of {INITS}, got {type(init).__name__} {init!r}")
    if init not in INITS:
        raise ValueError(f"{who}: init must be one of {INITS}, got {init!r}")
    if init != "copy" and (noise > 0 or split > 0):
        raise ValueError(
            f"{who}: noise={noise!r} and split={split!r} apply to init='copy' only; new "
            f"neurons of init={init!r} start with zero incoming weights (pass noise=0, split=0)"
        )
    if init == "gradmax":
        if not (isinstance(data, tuple) and len(data) == 2):
            got = "nothing" if data is None else f"{type(data).__name__}"
            raise ValueError(
                f"{who}: init='gradmax' needs data=(X, y), a batch to take the gradient on; "
                f"got {got}"
            )
        if loss is None:
            raise ValueError(f"{who}: init='gradmax' needs loss=... (the training loss: 'cce'...)")
    elif data is not None or loss is not None:
        raise ValueError(
            f"{who}: data and loss are used by init='gradmax' only; with init={init!r} leave "
            "them out"
        )
    return init


def _fresh_bias(act: _activations.Activation) -> float:
    """The bias of a neuron with zero incoming weights: 0, or ``_KINK_BIAS`` where the
    activation is (nearly) flat at 0 and steep just above it."""
    z = np.array([[0.0, _KINK_BIAS]])
    slope = act.backward(np.ones_like(z), z, act.forward(z))[0]
    return _KINK_BIAS if slope[0] < 0.5 * slope[1] else 0.0


def _value_and_slope(act: _activations.Activation, b0: float) -> tuple[float, float]:
    z = np.array([[b0]])
    a = act.forward(z)
    return float(a[0, 0]), float(act.backward(np.ones_like(z), z, a)[0, 0])


def _check_fresh(model: Any, i: int, j: int, init: str) -> None:
    """Fresh neurons need an elementwise activation and nothing with arrays between layer
    i and the next Dense layer (a BatchNorm would normalise their constant output)."""
    act = model.layers[i].activation
    if isinstance(act, _activations.Softmax):
        raise ValueError(
            f"widen: init={init!r} cannot keep the function of a softmax hidden layer (a new "
            "neuron changes every other neuron's output); use init='copy'"
        )
    for k in range(i + 1, j):
        if _unit_arrays(model.layers[k]):
            raise ValueError(
                f"widen: init={init!r} needs no layer with arrays between layer {i} and the "
                f"next Dense layer, but layer {k} is a {type(model.layers[k]).__name__}; use "
                "init='copy'"
            )


def _check_batch(model: Any, data: tuple, loss: Any):
    """GradMax's batch (X, y) and loss, checked against the model; returns (X, loss)."""
    X = model.check_input(data[0], name="widen: data X")
    loss = model.output_loss(loss)
    check_same_length(X, data[1], names=("data X", "data y"))
    model.prepare_targets(data[1], loss, len(X))  # a clear error for bad y, before any work
    return X, loss


def gradmax_matrix(model: Any, i: int, data: tuple, loss: Any) -> np.ndarray:
    """``M = A_prev^T dZ_next`` of hidden Dense layer ``i`` on ``data = (X, y)``.

    ``A_prev`` (n, n_in) is layer i's input, ``dZ_next`` (n, n_next) the gradient of the mean
    ``loss`` with respect to the next Dense layer's pre-activation. ``M`` (n_in, n_next) is
    the gradient a direct linear map from layer i's input to the next pre-activation would
    get at zero (the auxiliary layer of Evci et al.). It is computed with the model's own
    ``forward``/``backward`` on a copy of the layers that has ``n_next`` extra neurons in
    layer i: zero incoming weights, outgoing weights the identity, the next bias compensating
    their constant output, so the copy computes the same function and the extra neurons'
    incoming gradient is ``f'(b0) M``. The model itself is not changed.
    """
    i = _hidden_dense(model, i, "gradmax_matrix")
    j = _next_dense(model, i, "gradmax_matrix")
    _check_fresh(model, i, j, "gradmax")
    X, loss = _check_batch(model, data, loss)
    probe = copy.copy(model)
    probe.layers = [copy.deepcopy(layer) for layer in model.layers]
    layer, nxt = probe.layers[i], probe.layers[j]
    n_next, dt = nxt.units, model.dtype
    b0 = _fresh_bias(layer.activation)
    f0, slope = _value_and_slope(layer.activation, b0)
    layer.set_weights(
        np.hstack([layer.W, np.zeros((layer.n_in, n_next), dt)]),
        np.concatenate([layer.b, np.full(n_next, b0, dt)]),
    )
    nxt.set_weights(np.vstack([nxt.W, np.eye(n_next, dtype=dt)]), nxt.b - dt.type(f0))
    _, caches = probe.forward(X)
    grads = probe.backward(caches, data[1], loss)
    return grads[i].dW[:, -n_next:].astype(np.float64) / slope


def gradmax_rows(M: np.ndarray, k: int, c: float, rng: np.random.Generator) -> np.ndarray:
    r"""GradMax's outgoing weights V (k, n_next) for k new neurons, from ``M`` (n_in, n_next).

    Derivation. Let ``A_prev`` (n, n_in) be layer i's input on the batch, ``dZ`` (n, n_next)
    the gradient of the mean loss with respect to the next Dense layer's pre-activation, and
    ``V`` (k, n_next) the new neurons' rows in the next ``W``. With zero incoming weights
    ``U`` (n_in, k) and bias ``b0`` the new pre-activations are ``b0`` on every sample, the
    next pre-activation is unchanged (its bias absorbs ``f(b0) V``), so ``dZ`` is too, and

    .. math:: \partial L / \partial U = A_{prev}^T \big( (dZ\, V^T) \odot f'(b_0) \big)
              = f'(b_0)\, M V^T, \qquad M = A_{prev}^T dZ \quad (n_{in}, n_{next}).

    Write ``M = sum_r s_r u_r v_r^T`` (s_1 >= s_2 >= ...). Then ``||M V^T||_F^2 = tr(V M^T M
    V^T) = sum_r s_r^2 ||V v_r||^2``. Under a Frobenius bound ``||V||_F <= c`` the maximum
    puts every row along ``v_1`` (k copies of one direction: redundant neurons), so, as in
    the paper, bound the spectral norm: ``||V||_2 <= c``, i.e. ``V^T V <= c^2 I``. As
    ``rank(V^T V) <= k``, Ky Fan's inequality gives ``tr(M^T M V^T V) <= c^2 (s_1^2 + ... +
    s_k^2)``, reached by ``V = c [v_1, ..., v_k]^T``: the top-k right singular vectors of M,
    each row of norm ``c``. The new incoming weights' gradient then has norm ``|f'(b0)| c
    sqrt(s_1^2 + ... + s_k^2)``, the largest that outgoing weights of spectral norm ``c``
    give. Signs of singular vectors are arbitrary; they do not change that norm.

    When ``k > n_next`` there are only n_next directions and the bound is ``c^2 ||M||_F^2``,
    reached by any ``V`` with ``V^T V = c^2 I``: every direction used. We take ``V = c
    sqrt(k / n_next) Q V_t`` with ``Q`` (k, n_next) random orthonormal columns (QR of a
    Gaussian from ``rng``), optimal for its spectral norm ``c sqrt(k / n_next)``, with rows
    all different (equal rows would get equal gradients and stay equal) of root-mean-square
    norm ``c``. Random directions of the same norms do as well on average here: the gain of
    gradmax over random comes from choosing k < n_next directions.

    Parameters
    ----------
    M : ndarray (n_in, n_next)
        From :func:`gradmax_matrix`.
    k : int
        New neurons.
    c : float
        Row norm (``widen`` passes the mean norm of the next ``W``'s existing rows, the
        authors' ``scale_method="mean_norm"`` with scale 1).
    rng : numpy.random.Generator
        Used only when ``k > n_next``.

    Returns
    -------
    V : ndarray (k, n_next), float64
    """
    n_next = M.shape[1]
    Vt = np.linalg.svd(M, full_matrices=True)[2]  # rows by decreasing singular value
    if k <= n_next:
        return c * Vt[:k]
    Q = np.linalg.qr(rng.standard_normal((k, n_next)))[0]
    return c * np.sqrt(k / n_next) * (Q @ Vt)


def _widen_fresh(model: Any, i: int, j: int, units: int, init: str, data, loss) -> np.ndarray:
    """New neurons with zero incoming weights and bias b0; outgoing rows by ``init``; the
    next bias absorbs their constant output ``f(b0)``."""
    layer, nxt = model.layers[i], model.layers[j]
    old, k, dt = layer.units, units - layer.units, model.dtype
    b0 = _fresh_bias(layer.activation)
    f0 = _value_and_slope(layer.activation, b0)[0]
    c = float(np.linalg.norm(nxt.W, axis=1).mean()) or 1.0
    if init == "zeros":
        V = np.zeros((k, nxt.units))
    elif init == "random":
        G = model.rng.standard_normal((k, nxt.units))
        V = c * G / np.linalg.norm(G, axis=1, keepdims=True)
    else:
        V = gradmax_rows(gradmax_matrix(model, i, data, loss), k, c, model.rng)
    W = np.hstack([layer.W, np.zeros((layer.n_in, k), dt)])
    b = np.concatenate([layer.b, np.full(k, b0, dt)])
    b_next = (nxt.b - f0 * V.sum(axis=0)).astype(dt)
    src = np.concatenate([np.arange(old), np.full(k, -1)])
    _set_units(model, i, j, src, W, b, np.vstack([nxt.W, V.astype(dt)]))
    nxt.set_weights(nxt.W, b_next)
    return src


def _widen_copy(model: Any, i: int, j: int, units: int, noise: float, split: float):
    """Net2WiderNet: new neurons copy old ones; copies share the outgoing rows."""
    layer, old = model.layers[i], model.layers[i].units
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
    return src


def _check_widen(model, i, units, noise, split, init, data, loss) -> tuple[int, float, str]:
    """Every check of :func:`widen` that needs no computation; returns the next Dense
    layer's index, ``split`` and ``init``."""
    layer = model.layers[i]
    old = layer.units
    if units < old:
        raise ValueError(
            f"widen: units={units} is fewer than the {old} neurons of layer {i}; widen only "
            f"grows a layer (to shrink it use resize({i}, {units}) or prune({i}, {units}, "
            "data=X))"
        )
    if (
        isinstance(noise, bool)
        or not isinstance(noise, numbers.Real)
        or not (np.isfinite(noise) and noise >= 0)
    ):
        raise ValueError(f"widen: noise must be a finite number >= 0, got {noise!r}")
    split = check_range(split, "widen: split", 0.0, 1.0)
    init = check_init(init, noise, split, data, loss)
    j = _next_dense(model, i, "widen")
    check_allocation(
        units * (layer.n_in + model.layers[j].units + 1), model.dtype,
        f"widen: layer {i} at {units} units",
    )  # fmt: skip
    if init != "copy":
        _check_fresh(model, i, j, init)
    if init == "gradmax":
        _check_batch(model, data, loss)
    return j, split, init


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
    """Grow Dense hidden layer ``i`` to ``units`` neurons, keeping the function.

    ``init`` chooses the new neurons:

    ``"copy"`` (Net2WiderNet, Chen et al. 2016)
        Each new neuron copies an existing one chosen at random (from ``model.rng``): its
        incoming weights ``W[:, k]`` and bias ``b[k]``. The next Dense layer's rows of a
        neuron copied ``c`` times (itself included) are divided by ``c`` (or shared unequally,
        ``split``), so the copies together send exactly what the neuron sent alone.
    ``"gradmax"`` (Evci et al., *GradMax*, ICLR 2022)
        Zero incoming weights; outgoing rows: the top-k right singular vectors of ``M =
        A_prev^T dZ_next`` on the batch ``data = (X, y)`` (:func:`gradmax_matrix`), each of
        norm ``c``, the mean norm of the next ``W``'s existing rows: the new incoming weights
        get the largest gradient (derivation, and k > n_next: :func:`gradmax_rows`).
    ``"random"``
        Zero incoming weights; outgoing rows in random directions (Gaussian, from
        ``model.rng``), each of norm ``c`` (the same norm as gradmax's rows).
    ``"zeros"``
        Zero incoming and zero outgoing weights.

    For every init but copy, the new neurons' bias is ``b0 = 0``, except for activations
    that are flat at 0 and steep just above (relu, leaky_relu: ``f'(0)`` is 0 and 0.01 by
    PyTorch's convention), where ``b0 = 1e-3``: with zero incoming weights and ``b0 = 0`` a
    relu neuron would sit on its kink, get zero gradient and never learn (the GradMax
    authors use a relu whose slope at 0 is 1 for the same reason). A new neuron's output is
    then the constant ``f(b0)`` on every sample (0.5 for sigmoid, log 2 for softplus, 1e-3
    for relu), and the next layer's bias absorbs it: ``b_next -= f(b0) * W_out_new.sum(0)``,
    so the outputs are unchanged to rounding (about 1e-15 in float64) for every activation.

    Parameters
    ----------
    model : Sequential
        Built; changed in place.
    i : int
        A Dense hidden layer (not the output layer). Layers between it and the next Dense
        layer may be parameter-free (Dropout) or, for ``init="copy"`` only, per-unit
        (BatchNorm: its per-unit parameters and running statistics are copied along).
    units : int
        New width, >= the current one (equal: nothing changes).
    noise : float, default 0.0
        ``init="copy"`` only. Standard deviation, relative to the std of layer i's ``W``, of
        Gaussian noise added to the copies' incoming weights (the function then changes).
    init : {"copy", "gradmax", "random", "zeros"}, default "copy"
    split : float in [0, 1), default 0.0
        ``init="copy"`` only. The copies of a neuron share its outgoing row in random
        proportions ``1 + split * U(-1, 1)`` (normalised to sum to 1) instead of equally:
        the function is kept, but their gradients differ and they learn apart.
    data : tuple (X, y), optional
        ``init="gradmax"`` only (and required there): X (n, n_features), y as for ``fit``;
        the last training batch, or a larger sample (M sums over it: more is steadier).
    loss : str or Loss, optional
        ``init="gradmax"`` only (and required there): the loss of training.

    Returns
    -------
    src : ndarray of int, shape (units,)
        ``src[:old] = arange(old)``; for a copy ``src[c]`` is the old neuron it copies, for
        a fresh neuron (every other init) -1.

    Raises
    ------
    ValueError, TypeError
        For any bad argument, and before allocating more than half the free memory; a
        refused call leaves the model unchanged.

    Notes
    -----
    Optimizer state: the old weights keep theirs; a fresh neuron's weights start at zero.
    A copy's weights take the state of their source: exact for the next layer's rows (their
    gradient equals the source row's); for the incoming weights each copy's gradient is the
    source's divided by ``c``, so momentum and first moments start ``c`` times too large and
    fade at the optimizer's decay rate.
    """
    i = _hidden_dense(model, i, "widen")
    units = _check_units(units, "widen")
    j, split, init = _check_widen(model, i, units, noise, split, init, data, loss)
    old = model.layers[i].units
    if units == old:
        return np.arange(old)
    if init == "copy":
        src = _widen_copy(model, i, j, units, float(noise), split)
    else:
        src = _widen_fresh(model, i, j, units, init, data, loss)
    _record(model, f"widen layer {i}: {old} -> {units} units" + f" ({init})" * (init != "copy"))
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
    _record(model, f"resize layer {i}: {old} -> {units} units")
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
    _name(model, new)
    new.set_weights(np.eye(units, dtype=model.dtype), np.zeros(units, dtype=model.dtype))
    model.layers.insert(i + 1, new)
    _record(model, f"deepen layer {i}: + {act.name} layer")
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


def _name(model: Any, layer: Layer) -> None:
    """Give ``layer`` a name unique in ``model`` (kept if it has one not yet taken)."""
    taken = {l.name for l in model.layers if l is not layer}
    while layer.name is None or layer.name in taken:
        layer.name = f"{type(layer).__name__.lower()}_{model._name_counter}"
        model._name_counter += 1


def _record(model: Any, change: str) -> None:
    """Note a change of shape in ``model.events`` once training has started."""
    if model.epochs_trained:
        model.events.append({"epoch": model.epochs_trained, "change": change})


def _check_layer(model: Any, layer: Any) -> Layer:
    if not isinstance(layer, Layer):
        raise TypeError(
            f"expected a Layer such as lw.Dense(units, activation), got "
            f"{type(layer).__name__} {layer!r}"
        )
    if any(layer is l for l in model.layers):
        raise ValueError(f"layer {layer!r} is already in this model; create a new one")
    return layer


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
    _record(model, f"insert {layer.describe() or type(layer).__name__} layer at {i}")


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
    _record(model, f"remove layer {i} ({layer.name})")
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
        _record(model, f"{'unfreeze' if trainable else 'freeze'} layer {i}")


def freeze(model: Any, i: int) -> None:
    """Stop layer ``i`` from learning: updates (``update``, ``fit``, every optimizer) skip its
    parameters, which stay bit-identical. Its optimizer state is kept for :func:`unfreeze`."""
    _set_trainable(model, i, False)


def unfreeze(model: Any, i: int) -> None:
    """Let layer ``i`` learn again (its optimizer state resumes where it was frozen)."""
    _set_trainable(model, i, True)


def _data_X(model: Any, data: Any, op: str) -> np.ndarray:
    """X from ``data``: an array (n, n_features), or a tuple (X, y) whose X is used."""
    if data is None:
        raise ValueError(f"{op}: data is required: X of shape (n, n_features), or (X, y)")
    if isinstance(data, tuple):
        if len(data) != 2:
            raise ValueError(f"{op}: data as a tuple must be (X, y), got {len(data)} items")
        data = data[0]
    return model.check_input(data, name=f"{op}: data")


def refit(A: np.ndarray, keep: np.ndarray, W: np.ndarray, b: np.ndarray):
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
    i = _hidden_dense(model, i, "prune")
    units = _check_units(units, "prune")
    layer = model.layers[i]
    old = layer.units
    if units > old:
        raise ValueError(
            f"prune: units={units} is more than the {old} neurons of layer {i}; prune only "
            f"shrinks a layer (to grow it use widen({i}, {units}))"
        )
    j = _next_dense(model, i, "prune")
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
    _set_units(model, i, j, keep, layer.W[:, keep], layer.b[keep], W_next.astype(dt))
    nxt.set_weights(nxt.W, b_next.astype(dt))
    _record(model, f"prune layer {i}: {old} -> {units} units")
    change = np.linalg.norm(model.forward(X)[0] - before)
    scale = np.linalg.norm(before)
    return float(change / scale) if scale > 0 else float(change)
