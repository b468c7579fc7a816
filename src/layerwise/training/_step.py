"""Step 3 with an optimizer (clipping included), the optimizer a call resolves to, and
``train_on_batch``: one step on one batch."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from layerwise import optimizers as _optimizers
from layerwise._internal.array_api import (
    array_namespace,
    model_arrays,
    same_place,
)
from layerwise._internal.validation import check_positive
from layerwise.training._guard import DivergenceError
from layerwise.training._history import History

if TYPE_CHECKING:
    from layerwise.losses import Loss


def apply_gradients(
    model: Any, opt: _optimizers.Optimizer, grads: list[Any], clipnorm: float | None = None
) -> None:
    """Step 3 with an optimizer: clip ``grads`` (from ``model.backward``) to the global norm
    ``clipnorm`` if given, then let ``opt`` update every trainable parameter."""
    pgs = model.param_grads(grads)
    if clipnorm is not None:
        pgs = _clipped(pgs, clipnorm)
    new = opt.step(pgs)
    if new:  # arrays that could not change in place (JAX): the new ones take their place
        model.assign(new)


def prepare_step(
    model: Any,
    X: Any,
    y: Any,
    loss: str | Loss,
    optimizer: str | _optimizers.Optimizer | None,
    lr: float | None,
) -> tuple[Loss, Any, Any, _optimizers.Optimizer, float | None]:
    """What ``fit`` and ``train_on_batch`` check alike, before anything changes: the loss
    object, ``X`` and the targets ``Y`` shaped like the output, the optimizer and the
    learning rate to give it (:func:`_resolve_optimizer`)."""
    loss_obj = model.output_loss(loss)
    untrained = model.optimizer is None and model.epochs_trained == 0
    X = model.check_input(X, build=False, place=not untrained)  # the model follows X
    Y = model.prepare_targets(y, loss_obj, X.shape[0], like=X)
    opt, new_lr = _resolve_optimizer(model, optimizer, lr)
    return loss_obj, X, Y, opt, new_lr


def use_optimizer(
    model: Any, opt: _optimizers.Optimizer, new_lr: float | None
) -> _optimizers.Optimizer:
    """Make ``opt`` the model's optimizer, with the learning rate ``new_lr`` (None: its own;
    a schedule then starts from the new rate); returns it."""
    if new_lr is not None:
        opt.lr = new_lr
        if opt.schedule is not None:
            opt.schedule.base_lr = new_lr
    model.optimizer = opt
    return opt


def _resolve_optimizer(
    model: Any, optimizer: str | _optimizers.Optimizer | None, lr: float | None
) -> tuple[_optimizers.Optimizer, float | None]:
    """The optimizer a training call uses, and the learning rate to give it (None: keep
    its own); nothing is changed yet."""
    current = model.optimizer
    if lr is not None:
        lr = check_positive(lr, "lr")
    if optimizer is None:
        if current is None:
            return _optimizers.get("sgd", lr=0.01 if lr is None else lr), None
        return current, (lr if lr is not None and lr != current.lr else None)
    if not isinstance(optimizer, str):
        return _optimizers.get(optimizer), None
    lr = 0.01 if lr is None else lr
    fresh = _optimizers.get(optimizer, lr=lr)
    base = None
    if current is not None:
        base = current.schedule.base_lr if current.schedule is not None else current.lr
    # the same kind with the same settings (not only the same class name: "sgd" after
    # "nesterov" must drop the momentum, and "momentum" twice must keep its buffers)
    if (
        type(current) is type(fresh)
        and base == lr
        and {**current.hyperparameters(), "lr": lr} == fresh.hyperparameters()
    ):
        return current, None  # a repeated fit continues with the optimizer's state
    return fresh, None


def clip_grad_norm(grads: Sequence[Any], max_norm: float) -> float:
    """Scale ``grads`` in place so that their global L2 norm is at most ``max_norm``.

    As ``torch.nn.utils.clip_grad_norm_``: ``total = sqrt(sum of ||g||^2)``; when
    ``max_norm / (total + 1e-6) < 1`` every gradient is multiplied by that factor. (On JAX,
    whose arrays cannot change in place, use ``fit(clipnorm=...)``.)

    Parameters
    ----------
    grads : sequence of arrays
        Gradient arrays of any shapes (modified in place).
    max_norm : float

    Returns
    -------
    float
        The total norm before clipping.
    """
    total, coef = _clip_factor(grads, max_norm)
    if coef < 1.0:
        for g in grads:
            g *= coef
    return total


def _clip_factor(grads: Sequence[Any], max_norm: float) -> tuple[float, float]:
    total = math.sqrt(sum(float(array_namespace(g).sum(g * g)) for g in grads))
    return total, max_norm / (total + 1e-6)


def _clipped(pgs: list[tuple[str, Any, Any]], max_norm: float) -> list[tuple[str, Any, Any]]:
    """``(key, param, grad)`` with the grads scaled to the global norm ``max_norm`` (new
    arrays, so that any array library works)."""
    _, coef = _clip_factor([g for _, _, g in pgs], max_norm)
    return pgs if coef >= 1.0 else [(k, p, g * coef) for k, p, g in pgs]


def train_on_batch(
    model: Any,
    X: Any,
    y: Any,
    *,
    loss: str = "mse",
    optimizer: str | _optimizers.Optimizer | None = None,
    lr: float | None = None,
    clipnorm: float | None = None,
) -> float:
    """One optimizer step on one batch (forward in training mode, backward, update).

    For streams of data (``partial_fit``-style): the optimizer is resolved as in
    :func:`fit` and kept as ``model.optimizer``, so successive calls continue its state.
    Epoch counters and schedules are not touched.

    Parameters
    ----------
    model : Sequential
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,) or (n_samples, output_dim)
    loss : {"mse", "bce", "cce"}
    optimizer, lr, clipnorm
        As in :func:`fit`.

    Returns
    -------
    float
        The batch's loss (penalty included) before the update.
    """
    loss_obj, X, Y, opt, new_lr = prepare_step(model, X, y, loss, optimizer, lr)
    clipnorm = check_positive(clipnorm, "clipnorm", allow_none=True)
    model.check_input(X, place=False)  # every argument is good: build an unbuilt model
    if not same_place(X, model_arrays(model)):
        model.to(X)
    opt = use_optimizer(model, opt, new_lr)
    A, caches = model.forward(X, training=True, check_input=False)
    value = loss_obj.value(A, Y) + model.penalty()
    if not math.isfinite(value):
        raise DivergenceError(
            f"the batch loss is {value}; the model was not updated. Try a smaller learning "
            f"rate (lr={opt.lr:g} now) or standardised inputs.",
            epoch=model.epochs_trained,
            history=History(),
        )
    apply_gradients(model, opt, model.backward(caches, Y, loss_obj, check_input=False), clipnorm)
    return value
