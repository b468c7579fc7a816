"""Widening a hidden layer while keeping the function: copies (Net2WiderNet) or fresh
neurons (GradMax, random, zeros). Public as :func:`layerwise.surgery.widen`,
:func:`~layerwise.surgery.gradmax_matrix` and :func:`~layerwise.surgery.gradmax_rows`."""

from __future__ import annotations

import copy
import numbers
from typing import Any

import numpy as np

from layerwise import activations as _activations
from layerwise._internal.validation import check_allocation, check_range, check_same_length
from layerwise.losses import Loss
from layerwise.state import through_numpy
from layerwise.surgery._units import (
    check_units,
    hidden_dense,
    next_dense,
    record,
    set_units,
    unit_arrays,
)

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
        if unit_arrays(model.layers[k]):
            raise ValueError(
                f"widen: init={init!r} needs no layer with arrays between layer {i} and the "
                f"next Dense layer, but layer {k} is a {type(model.layers[k]).__name__}; use "
                "init='copy'"
            )


def _check_batch(model: Any, data: tuple[Any, Any], loss: Any) -> tuple[np.ndarray, Loss]:
    """GradMax's batch (X, y) and loss, checked against the model; returns (X, loss)."""
    X = model.check_input(data[0], name="widen: data X")
    loss = model.output_loss(loss)
    check_same_length(X, data[1], names=("data X", "data y"))
    model.prepare_targets(data[1], loss, len(X))  # a clear error for bad y, before any work
    return X, loss


def gradmax_matrix(model: Any, i: int, data: tuple[Any, Any], loss: Any) -> np.ndarray:
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
    i = hidden_dense(model, i, "gradmax_matrix")
    j = next_dense(model, i, "gradmax_matrix")
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


def _widen_fresh(
    model: Any, i: int, j: int, units: int, init: str, data: Any, loss: Any
) -> np.ndarray:
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
    set_units(model, i, j, src, W, b, np.vstack([nxt.W, V.astype(dt)]))
    nxt.set_weights(nxt.W, b_next)
    return src


def _widen_copy(model: Any, i: int, j: int, units: int, noise: float, split: float) -> np.ndarray:
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
    set_units(model, i, j, src, np.ascontiguousarray(W), b, W_next)
    return src


def _check_widen(
    model: Any, i: int, units: int, noise: float, split: float, init: str, data: Any, loss: Any
) -> tuple[int, float, str]:
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
    j = next_dense(model, i, "widen")
    check_allocation(
        units * (layer.n_in + model.layers[j].units + 1), model.dtype,
        f"widen: layer {i} at {units} units",
    )  # fmt: skip
    if init != "copy":
        _check_fresh(model, i, j, init)
    if init == "gradmax":
        _check_batch(model, data, loss)
    return j, split, init


@through_numpy
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
    i = hidden_dense(model, i, "widen")
    units = check_units(units, "widen")
    j, split, init = _check_widen(model, i, units, noise, split, init, data, loss)
    old = model.layers[i].units
    if units == old:
        return np.arange(old)
    if init == "copy":
        src = _widen_copy(model, i, j, units, float(noise), split)
    else:
        src = _widen_fresh(model, i, j, units, init, data, loss)
    record(model, f"widen layer {i}: {old} -> {units} units" + f" ({init})" * (init != "copy"))
    return src
