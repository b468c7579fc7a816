"""The training loop: ``fit`` runs the three steps over batches and epochs.

Each batch is one forward step, one backward step and one optimizer step (plain gradient
descent by default, the seed's ``W = W - lr*dW``). The loss of an epoch is the mean of the
losses its batches already computed on their way forward (before each update), so no extra
forward pass is spent on it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from layerwise import optimizers as _optimizers
from layerwise._internal.validation import all_finite
from layerwise.training import schedules as _schedules
from layerwise.training._callback import Callback
from layerwise.training._guard import _Guard
from layerwise.training._history import History
from layerwise.training._interrupts import _interrupted
from layerwise.training._progress import _Progress
from layerwise.training._settings import _Run
from layerwise.training._step import apply_gradients

__all__ = ["fit"]


def fit(
    model: Any,
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
    threads: int | str | None = None,
) -> History:
    """Train ``model`` on (X, y); every argument is checked before anything changes.

    Parameters
    ----------
    model : Sequential
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,) or (n_samples, output_dim)
    loss : {"mse", "bce", "cce"}
    optimizer : str, Optimizer or None, default None
        A name (built with ``lr``) or an Optimizer. None: the current optimizer, so a second
        ``fit`` or a loaded checkpoint continues its state, or ``"sgd"`` for a new model.
    lr : float, optional
        Rate of an optimizer built from a name (default 0.01), or the new rate of the
        current one with ``optimizer=None``.
    epochs : int, default 100
        Epochs to run in this call (with ``initial_epoch``: the epoch to stop at).
    batch_size : int or None
        None: full batch (every epoch is one step, as in the seed note).
    shuffle : bool, default True
        Reshuffle the samples every epoch (mini-batches only), from the model's Generator.
    validation_data : (X_val, y_val), optional
    validation_split : float, optional
        Or the fraction of the samples (the last ones) held out for validation.
    metrics : sequence of str, optional
        Default: accuracy for bce/cce, r2 and mae for mse.
    callbacks : iterable of Callback
    verbose : bool or "auto"
        A progress bar; "auto": on a terminal or in Jupyter.
    schedule : Schedule, optional
        From ``lw.schedules``, attached to the optimizer (saved and resumed with it).
    clipnorm : float, optional
        Clip each batch's gradients to this global L2 norm (``clip_grad_norm_``'s rule).
    initial_epoch : int, optional
        As Keras: the epoch to start from (``epochs`` is then the one to stop at).
    threads : int, "auto" or None, default None
        BLAS threads: None leaves them as they are (the same seed gives the same bits); an
        int sets them; "auto" times batches to choose (not bit-reproducible: ``_threads``).

    Returns
    -------
    History

    Raises
    ------
    DivergenceError
        The loss became NaN or infinite: the last finite weights and optimizer state are back.
    TrainingInterrupted
        Ctrl-C (a KeyboardInterrupt): the model keeps the last completed batch's weights.
    """
    run = _Run.checked(model, locals())  # every argument, by name
    history = run.begin(model)  # the first change to the model: everything is valid
    opt, loss_fn, metric_fns, state = run.opt, run.loss, run.metric_fns, model.state
    epochs, clipnorm = run.settings["epochs"], run.settings["clipnorm"]
    guard, first_epoch, bar = _Guard(model), state.epochs_trained, _Progress(run.show, epochs)
    try:
        with run.settings_applied() as interrupts:
            for _ in range(epochs):
                epoch = state.epochs_trained + 1
                logs = _begin_epoch(model, run, epoch, guard)
                total, sums = 0.0, dict.fromkeys(metric_fns, 0.0)
                for bi, (Xb, Yb) in enumerate(run.batches(state.rng)):
                    A, caches = model.forward(Xb, training=True, check_input=False)  # 1.
                    batch_loss = loss_fn.value(A, Yb) + model.penalty()
                    if not math.isfinite(batch_loss):
                        guard.diverged(epoch, history, opt.lr, older=bi == 0)
                    total += batch_loss * Xb.shape[0]
                    sums = {m: sums[m] + fn(A, Yb) * Xb.shape[0] for m, fn in metric_fns.items()}
                    grads = model.backward(caches, Yb, loss_fn, check_input=False)  # 2.
                    apply_gradients(model, opt, grads, clipnorm)  # 3.
                    _batch_end(run, guard, interrupts, history, bi, batch_loss, Xb.shape[0])
                _end_epoch(model, run, history, epoch, logs, total, sums, guard)
                bar.update(logs)
                if state.stop_training:
                    break
        _finish(model, run, history, guard, first_epoch)
    finally:
        bar.close()
        state.callbacks = state.counters()  # plain data from now on (copies, saves cheaply)
    return history


def _batch_end(
    run: _Run, guard: _Guard, interrupts: Any, history: History, batch: int, loss: float, n: int
) -> None:
    """After a batch's update: the thread timer, the callbacks' ``on_batch_end`` (the guard
    follows a network they changed), and a held Ctrl-C."""
    if run.chooser:
        run.chooser.after_batch()
    if run.callbacks:
        for cb in run.callbacks:
            cb.on_batch_end(batch, {"loss": loss, "size": n})
        guard.follow()
    if interrupts.signum is not None:
        _interrupted(guard.model, interrupts.signum, history, batch)


def _finish(model: Any, run: _Run, history: History, guard: _Guard, first_epoch: int) -> None:
    """After the last epoch: weights still finite, the run's events, ``on_train_end``."""
    if not all(all_finite(p) for p in model.parameters().values()):
        guard.diverged(model.epochs_trained, history, run.opt.lr, older=False)
    history.events = [e for e in model.events if e["epoch"] >= first_epoch]
    for cb in run.callbacks:
        cb.on_train_end({"loss": history.loss[-1] if history.loss else None})


def _begin_epoch(model: Any, run: _Run, epoch: int, guard: _Guard) -> dict[str, Any]:
    """Set the epoch's learning rate, tell the callbacks, and take the guard's snapshot."""
    if run.opt.schedule is not None:
        run.opt.schedule.begin_epoch(run.opt)
    logs: dict[str, Any] = {"lr": run.opt.lr}
    for cb in run.callbacks:
        cb.on_epoch_begin(epoch, logs)
    guard.begin_epoch()
    return logs


def _end_epoch(
    model: Any,
    run: _Run,
    history: History,
    epoch: int,
    logs: dict[str, Any],
    total: float,
    sums: dict[str, float],
    guard: _Guard,
) -> None:
    """Record the epoch, run the validation pass, advance the schedule, call the callbacks."""
    n = run.X.shape[0]
    model.state.epochs_trained = epoch
    history.epoch.append(epoch)
    history.loss.append(total / n)
    history.lr.append(run.opt.lr)
    logs["loss"] = total / n
    for m in run.metric_fns:
        history.metrics.setdefault(m, []).append(sums[m] / n)
        logs[m] = sums[m] / n
    if run.Xv is not None:
        _validate(model, run, history, logs, epoch, guard)
    if run.opt.schedule is not None:
        # before the callbacks, so a checkpoint saved at this epoch's end holds the
        # schedule's position (and the lr) of the next epoch
        run.opt.schedule.end_epoch(logs, run.opt)
    for cb in run.callbacks:
        cb.on_epoch_end(epoch, logs)


def _validate(
    model: Any, run: _Run, history: History, logs: dict[str, Any], epoch: int, guard: _Guard
) -> None:
    """The validation pass: loss and metrics on (Xv, Yv) in inference mode."""
    Av = model.forward(run.Xv, check_input=False)[0]
    val_loss = run.loss.value(Av, run.Yv) + model.penalty()
    if not math.isfinite(val_loss):
        guard.diverged(epoch, history, run.opt.lr, older=False)
    history.val_loss.append(val_loss)
    logs["val_loss"] = val_loss
    for m, fn in run.metric_fns.items():
        history.metrics.setdefault(f"val_{m}", []).append(fn(Av, run.Yv))
        logs[f"val_{m}"] = history.metrics[f"val_{m}"][-1]
