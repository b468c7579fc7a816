"""The training loop: ``fit`` runs the three steps over batches and epochs.

Each batch is one forward step, one backward step and one optimizer step (plain gradient
descent by default, the seed's ``W = W - lr*dW``). The loss of an epoch is the mean of the
losses its batches already computed on their way forward (before each update), so no extra
forward pass is spent on it.
"""

from __future__ import annotations

import csv
import io
import math
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from layerwise import metrics as _metrics
from layerwise import optimizers as _optimizers
from layerwise import schedules as _schedules
from layerwise._files import atomic_write
from layerwise._validation import check_positive, check_same_length, check_X
from layerwise.callbacks import Callback
from layerwise.layers import Workspace

__all__ = ["History", "DivergenceError", "fit", "train_on_batch", "clip_grad_norm"]


class DivergenceError(FloatingPointError):
    """Training produced a NaN or infinite loss; the model was reset to finite weights.

    Attributes
    ----------
    epoch : int
        The epoch (counted from 1 over the model's life) where the loss stopped being finite.
    history : History
        What was recorded before that.
    """

    def __init__(self, message: str, *, epoch: int, history: History) -> None:
        super().__init__(message)
        self.epoch, self.history = epoch, history


@dataclass
class History:
    """What ``fit`` recorded, one value per epoch.

    Attributes
    ----------
    epoch : list of int
        Epoch numbers, counted from 1 over the model's life (a second ``fit`` continues).
    loss : list of float
        Training loss of each epoch (mean over its batches, before each update).
    val_loss : list of float
        Validation loss after each epoch (empty without validation data).
    metrics : dict of str to list of float
        ``"accuracy"``/``"val_accuracy"`` for classifiers, ``"r2"``, ``"mae"`` (and
        ``val_`` forms) for regressors.
    lr : list of float
        Learning rate used in each epoch.
    events : list of dict
        Changes of the network during this run, and those made between the previous
        ``fit`` and this one: ``{"epoch": int, "change": str}``, the change coming after
        that epoch.
    params : dict
        The settings of the run (loss, optimizer, lr, batch size, ...).
    """

    epoch: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    metrics: dict[str, list[float]] = field(default_factory=dict)
    lr: list[float] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.loss)

    def _repr_html_(self) -> str:
        from layerwise import _display  # a leaf module: imports nothing of layerwise

        return _display.history_html(self)

    def columns(self) -> dict[str, list[Any]]:
        """Every per-epoch series by column name, in CSV order."""
        cols: dict[str, list[Any]] = {"epoch": self.epoch, "loss": self.loss}
        if self.val_loss:
            cols["val_loss"] = self.val_loss
        cols.update(self.metrics)
        if self.lr:
            cols["lr"] = self.lr
        return cols

    def to_csv(self, path: str | None = None) -> str:
        """Write one row per epoch (atomically) to ``path``; return the CSV text."""
        cols = self.columns()
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(cols)
        for row in zip(*cols.values()):
            writer.writerow([repr(v) if isinstance(v, float) else v for v in row])
        text = buf.getvalue()
        if path is not None:
            with atomic_write(path, newline="") as f:
                f.write(text)
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "epoch": self.epoch,
            "loss": self.loss,
            "val_loss": self.val_loss,
            "metrics": self.metrics,
            "lr": self.lr,
            "events": self.events,
            "params": self.params,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> History:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def _check_callbacks(callbacks: Iterable[Callback] | Callback | None) -> list[Callback]:
    if callbacks is None:
        return []
    if isinstance(callbacks, Callback):
        return [callbacks]
    try:
        out = list(callbacks)
    except TypeError:
        raise TypeError(
            f"callbacks must be a list of lw.callbacks.Callback objects, got "
            f"{type(callbacks).__name__} {callbacks!r}"
        ) from None
    for cb in out:
        if not isinstance(cb, Callback):
            raise TypeError(
                f"callbacks must be lw.callbacks.Callback objects, got {type(cb).__name__}"
            )
    return out


def _split_validation(model, loss, X, Y, validation_data, validation_split):
    if validation_data is not None and validation_split:
        raise ValueError("give validation_data or validation_split, not both")
    if validation_data is not None:
        if not isinstance(validation_data, Sequence) or len(validation_data) != 2:
            raise TypeError("validation_data must be a pair (X_val, y_val)")
        Xv = check_X(validation_data[0], model.dtype, name="X_val", n_features=X.shape[1])
        check_same_length(Xv, validation_data[1], names=("X_val", "y_val"))
        return X, Y, Xv, model.prepare_targets(validation_data[1], loss, len(Xv))
    if validation_split:
        if not isinstance(validation_split, float | int) or not 0 < validation_split < 1:
            raise ValueError(f"validation_split must be in (0, 1), got {validation_split!r}")
        n_val = int(round(len(X) * validation_split))
        if n_val < 1 or n_val >= len(X):
            raise ValueError(
                f"validation_split={validation_split} leaves {n_val} of {len(X)} samples for "
                "validation; give more data or another split"
            )
        # as Keras: the last samples, taken before any shuffling
        return X[:-n_val], Y[:-n_val], X[-n_val:], Y[-n_val:]
    return X, Y, None, None


def _metric_fns(loss, metrics):
    if metrics is None:
        metrics = ("accuracy",) if loss.classification else ("r2", "mae")
    elif isinstance(metrics, str):  # one name, not its letters
        metrics = (metrics,)
    # bce's outputs are independent yes/no decisions (several per row when multi-label)
    acc = _metrics.binary_accuracy if loss.name == "bce" else _metrics.accuracy
    fns = {"accuracy": acc, "r2": _metrics.r2, "mae": _metrics.mae}
    for m in metrics:
        if m not in fns:
            raise ValueError(f"unknown metric {m!r}; valid: {', '.join(fns)}")
    return {m: fns[m] for m in metrics}


def fit(
    model,
    X: Any,
    y: Any,
    *,
    loss: str = "mse",
    optimizer: str | _optimizers.Optimizer | None = None,
    lr: float | None = None,
    epochs: int = 100,
    batch_size: int | None = None,
    shuffle: bool = True,
    validation_data: tuple[Any, Any] | None = None,
    validation_split: float = 0.0,
    metrics: Sequence[str] | None = None,
    callbacks: Iterable[Callback] | None = (),
    verbose: bool | str = "auto",
    schedule: _schedules.Schedule | None = None,
    clipnorm: float | None = None,
    initial_epoch: int | None = None,
) -> History:
    """Train ``model`` on (X, y) and return the :class:`History`.

    Parameters
    ----------
    model : Sequential
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,) or (n_samples, output_dim)
    loss : {"mse", "bce", "cce"}
    optimizer : str, Optimizer or None, default None
        A name (see :func:`layerwise.optimizers.names`, built with ``lr``) or an Optimizer
        object, whose own learning rate then rules. None: the model's current optimizer
        (``model.optimizer``, so a second ``fit`` or a loaded checkpoint continues with its
        state), or ``"sgd"`` for a model that has none. A name matching the current
        optimizer's name and (base) learning rate also continues with its state.
    lr : float, optional
        Learning rate of an optimizer built from a name; default 0.01. With
        ``optimizer=None`` and a current optimizer, a given ``lr`` replaces its rate.
    epochs : int, default 100
        Epochs to run in this call (with ``initial_epoch``: the epoch to stop at).
    batch_size : int or None
        None: full batch (every epoch is one step, as in the seed note).
    shuffle : bool, default True
        Reshuffle the samples every epoch (mini-batches only), from the model's Generator.
    validation_data : (X_val, y_val), optional
    validation_split : float, optional
        Fraction of the samples (the last ones) held out for validation.
    metrics : sequence of str, optional
        Default: accuracy for bce/cce, r2 and mae for mse.
    callbacks : iterable of Callback
    verbose : bool or "auto"
        Show a progress bar with the current loss; "auto" shows it on a terminal only.
    schedule : Schedule, optional
        A learning-rate schedule from :mod:`layerwise.schedules`, attached to the optimizer
        (``optimizer.schedule``) so that it is saved and resumed with it. Without one, a
        schedule already attached to the optimizer continues.
    clipnorm : float, optional
        Clip the gradients of each batch to this global L2 norm (over every trainable
        parameter), as ``torch.nn.utils.clip_grad_norm_``, before the optimizer step.
    initial_epoch : int, optional
        As Keras: the epoch to start from (the model's ``epochs_trained`` is set to it) and
        ``epochs`` is the epoch to stop at, so ``epochs - initial_epoch`` epochs run. Use it
        to resume a checkpoint: ``lw.load(path).fit(..., epochs=20, initial_epoch=k)``.

    Returns
    -------
    History

    Raises
    ------
    DivergenceError
        When the loss becomes NaN or infinite; the model keeps its last finite weights.
    """
    loss_obj = model.output_loss(loss)
    X = model.check_input(X)
    Y = model.prepare_targets(y, loss_obj, len(X))
    epochs = check_positive(epochs, "epochs", integer=True)
    if initial_epoch is not None:
        if isinstance(initial_epoch, bool) or not isinstance(initial_epoch, int | np.integer):
            raise TypeError(f"initial_epoch must be an integer, got {initial_epoch!r}")
        if not 0 <= initial_epoch < epochs:
            raise ValueError(
                f"initial_epoch must be in [0, epochs) = [0, {epochs}), got {initial_epoch}; "
                "epochs is the epoch to stop at when initial_epoch is given"
            )
        model.epochs_trained = int(initial_epoch)
        epochs -= int(initial_epoch)
    batch_size = check_positive(batch_size, "batch_size", integer=True, allow_none=True)
    clipnorm = check_positive(clipnorm, "clipnorm", allow_none=True)
    opt = _resolve_optimizer(model, optimizer, lr)
    if schedule is not None:
        if not isinstance(schedule, _schedules.Schedule):
            raise TypeError(
                f"schedule must be a lw.schedules object such as StepLR(10, 0.5), got "
                f"{type(schedule).__name__} {schedule!r}"
            )
        schedule.attach(opt)
    schedule = opt.schedule
    X, Y, Xv, Yv = _split_validation(model, loss_obj, X, Y, validation_data, validation_split)
    metric_fns = _metric_fns(loss_obj, metrics)
    cbs = _check_callbacks(callbacks)
    history = History(
        params={
            "loss": loss_obj.name,
            "optimizer": opt.get_config(),
            "lr": opt.lr,
            "schedule": schedule.get_config() if schedule is not None else None,
            "clipnorm": clipnorm,
            "epochs": epochs,
            "batch_size": batch_size,
            "shuffle": shuffle,
            "n_samples": len(X),
            "seed": model.seed,
        }
    )
    n = len(X)
    bs = n if batch_size is None else min(batch_size, n)
    params, snapshots = _watch(model)
    ws = Workspace()  # batch buffers, reused by every batch of the same size
    show = sys.stderr.isatty() if verbose == "auto" else bool(verbose)
    bar = None
    if show:
        from tqdm.auto import tqdm

        bar = tqdm(total=epochs, unit="epoch", leave=True, file=sys.stderr)
    model.stop_training = False
    for cb in cbs:
        cb.set_context(model, history)
        cb.on_train_begin({})
    last_draw = 0.0
    # changes made since the last epoch before this call (between two fits) belong here too
    first_epoch = model.epochs_trained
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for _ in range(epochs):
                epoch = model.epochs_trained + 1
                if schedule is not None:
                    schedule.begin_epoch(opt)
                logs: dict[str, Any] = {"lr": opt.lr}
                for cb in cbs:
                    cb.on_epoch_begin(epoch, logs)
                if _changed(model, params):  # a callback changed the network: follow it
                    params, snapshots = _watch(model)
                    ws.clear()
                for dst, src in zip(snapshots[0], params):
                    np.copyto(dst, src)
                order = model.rng.permutation(n) if shuffle and bs < n else None
                total, sums = 0.0, dict.fromkeys(metric_fns, 0.0)
                for bi, start in enumerate(range(0, n, bs)):
                    if order is None:
                        Xb, Yb = X[start : start + bs], Y[start : start + bs]
                    else:  # gather the batch into buffers reused by every batch of its size
                        idx = order[start : start + bs]
                        xs, ys = (len(idx), X.shape[1]), (len(idx), Y.shape[1])
                        # mode="clip": the indices are valid, and "raise" copies via a temporary
                        Xb = np.take(X, idx, 0, ws.get(X, "X", xs, X.dtype), mode="clip")
                        Yb = np.take(Y, idx, 0, ws.get(Y, "Y", ys, Y.dtype), mode="clip")
                    A, caches = model._forward(Xb, training=True, workspace=ws)
                    batch_loss = loss_obj.value(A, Yb) + model.penalty()
                    if not math.isfinite(batch_loss):
                        _diverged(model, params, snapshots[1] if bi == 0 else snapshots[0],
                                  epoch, history, opt.lr)  # fmt: skip
                    total += batch_loss * len(Xb)
                    for m, fn in metric_fns.items():
                        sums[m] += fn(A, Yb) * len(Xb)
                    grads = model._backward(caches, Yb, loss_obj, workspace=ws)
                    pgs = list(model.param_grads(grads))
                    if clipnorm is not None:
                        clip_grad_norm([g for _, _, g in pgs], clipnorm)
                    opt.step(pgs)
                    if cbs:
                        for cb in cbs:
                            cb.on_batch_end(bi, {"loss": batch_loss, "size": len(Xb)})
                        if _changed(model, params):
                            # changed mid-epoch: the divergence guard must restore the new
                            # arrays, and the old snapshots no longer fit them
                            params, snapshots = _watch(model)
                model.epochs_trained = epoch
                history.epoch.append(epoch)
                history.loss.append(total / n)
                history.lr.append(opt.lr)
                logs["loss"] = total / n
                for m in metric_fns:
                    history.metrics.setdefault(m, []).append(sums[m] / n)
                    logs[m] = sums[m] / n
                if Xv is not None:
                    Av = model._forward(Xv)[0]
                    val_loss = loss_obj.value(Av, Yv) + model.penalty()
                    if not math.isfinite(val_loss):
                        _diverged(model, params, snapshots[0], epoch, history, opt.lr)
                    history.val_loss.append(val_loss)
                    logs["val_loss"] = val_loss
                    for m, fn in metric_fns.items():
                        history.metrics.setdefault(f"val_{m}", []).append(fn(Av, Yv))
                        logs[f"val_{m}"] = history.metrics[f"val_{m}"][-1]
                snapshots = (snapshots[1], snapshots[0])
                if schedule is not None:
                    # before the callbacks, so a checkpoint saved at this epoch's end holds
                    # the schedule's position (and the lr) of the next epoch
                    schedule.end_epoch(logs, opt)
                for cb in cbs:
                    cb.on_epoch_end(epoch, logs)
                if bar is not None:
                    bar.update(1)
                    now = time.monotonic()
                    if now - last_draw > 0.2 or bar.n == bar.total:  # the last epoch shows
                        last_draw = now
                        bar.set_postfix(
                            {k: f"{v:.4g}" for k, v in logs.items() if k != "lr"}, refresh=False
                        )
                if model.stop_training:
                    break
            if not all(np.isfinite(p).all() for p in model.parameters().values()):
                _diverged(model, params, snapshots[1], model.epochs_trained, history, opt.lr)
        history.events = [e for e in model.events if e["epoch"] >= first_epoch]
        for cb in cbs:
            cb.on_train_end({"loss": history.loss[-1] if history.loss else None})
    finally:
        if bar is not None:
            bar.close()
    return history


def _watch(model) -> tuple[list[np.ndarray], tuple[list[np.ndarray], list[np.ndarray]]]:
    """The parameter arrays and two snapshots of them, the divergence guard's last two
    epoch starts (the newest is ``snapshots[0]``)."""
    params = list(model.parameters().values())
    return params, ([p.copy() for p in params], [p.copy() for p in params])


def _changed(model, params) -> bool:
    """Whether the model's parameter arrays are no longer ``params`` (surgery replaced them)."""
    current = [getattr(l, p) for l in model.layers for p in l.param_names]
    return len(params) != len(current) or any(p is not q for p, q in zip(params, current))


def _resolve_optimizer(model, optimizer, lr) -> _optimizers.Optimizer:
    """The optimizer a training call uses (and keeps as ``model.optimizer``)."""
    current = model.optimizer
    if lr is not None:
        lr = check_positive(lr, "lr")
    if optimizer is None:
        if current is None:
            opt = _optimizers.get("sgd", lr=0.01 if lr is None else lr)
        else:
            opt = current
            if lr is not None and lr != opt.lr:
                opt.lr = lr
                if opt.schedule is not None:
                    opt.schedule.base_lr = lr
    elif isinstance(optimizer, str):
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
            opt = current  # a repeated fit continues with the optimizer's state
        else:
            opt = fresh
    else:
        opt = _optimizers.get(optimizer)
    model.optimizer = opt
    return opt


def clip_grad_norm(grads: Sequence[np.ndarray], max_norm: float) -> float:
    """Scale ``grads`` in place so that their global L2 norm is at most ``max_norm``.

    As ``torch.nn.utils.clip_grad_norm_``: ``total = sqrt(sum of ||g||^2)``; when
    ``max_norm / (total + 1e-6) < 1`` every gradient is multiplied by that factor.

    Parameters
    ----------
    grads : sequence of ndarray
        Gradient arrays of any shapes (modified in place).
    max_norm : float

    Returns
    -------
    float
        The total norm before clipping.
    """
    total = math.sqrt(sum(float(np.vdot(g, g)) for g in grads))
    coef = max_norm / (total + 1e-6)
    if coef < 1.0:
        for g in grads:
            g *= coef
    return total


def train_on_batch(
    model,
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
    loss_obj = model.output_loss(loss)
    X = model.check_input(X)
    Y = model.prepare_targets(y, loss_obj, len(X))
    clipnorm = check_positive(clipnorm, "clipnorm", allow_none=True)
    opt = _resolve_optimizer(model, optimizer, lr)
    A, caches = model._forward(X, training=True)
    value = loss_obj.value(A, Y) + model.penalty()
    if not math.isfinite(value):
        raise DivergenceError(
            f"the batch loss is {value}; the model was not updated. Try a smaller learning "
            f"rate (lr={opt.lr:g} now) or standardised inputs.",
            epoch=model.epochs_trained,
            history=History(),
        )
    pgs = list(model.param_grads(model._backward(caches, Y, loss_obj)))
    if clipnorm is not None:
        clip_grad_norm([g for _, _, g in pgs], clipnorm)
    opt.step(pgs)
    return value


def _diverged(model, params, good, epoch, history, lr) -> None:
    for dst, src in zip(params, good):
        np.copyto(dst, src)
    raise DivergenceError(
        f"training diverged at epoch {epoch}: the loss became NaN or infinite. The model "
        f"keeps its last finite weights. Try a smaller learning rate (lr={lr:g} now), "
        "standardised inputs, or gradient clipping.",
        epoch=epoch,
        history=history,
    )
