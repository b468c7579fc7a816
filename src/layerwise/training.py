"""The training loop: ``fit`` runs the three steps over batches and epochs.

Each batch is one forward step, one backward step and one optimizer step (plain gradient
descent by default, the seed's ``W = W - lr*dW``). The loss of an epoch is the mean of the
losses its batches already computed on their way forward (before each update), so no extra
forward pass is spent on it.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import io
import math
import os
import signal
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from layerwise import metrics as _metrics
from layerwise import optimizers as _optimizers
from layerwise import schedules as _schedules
from layerwise._array_api import (
    array_namespace,
    check_same_place,
    device_of,
    model_arrays,
    same_place,
)
from layerwise._files import atomic_write
from layerwise._threads import ThreadChooser, check_threads
from layerwise._validation import (
    all_finite,
    check_positive,
    check_range,
    check_same_length,
    check_X,
)

__all__ = [
    "Callback",
    "History",
    "DivergenceError",
    "TrainingInterrupted",
    "fit",
    "train_on_batch",
    "clip_grad_norm",
]


class Callback:
    """Base class of the callbacks (:mod:`layerwise.callbacks`): override the hooks you need.

    ``check(model)`` runs while ``fit`` validates its arguments (raise there to refuse the
    call before anything changes). ``state_keys`` names the attributes that are the
    callback's counters: ``get_state``/``set_state`` read and write them, ``lw.save`` keeps
    them (``model.state.callbacks``) and a resumed ``fit`` puts them back.
    """

    model: Any = None
    history: Any = None
    state_keys: tuple[str, ...] = ()

    def set_context(self, model: Any, history: Any) -> None:
        self.model, self.history = model, history

    def check(self, model: Any) -> None:
        """Raise ValueError if this callback cannot work with ``model``."""

    def get_state(self) -> dict[str, Any]:
        """The counters to save and resume (copies, so later epochs leave them alone)."""
        return {k: copy.deepcopy(getattr(self, k)) for k in self.state_keys}

    def set_state(self, state: dict[str, Any]) -> None:
        for k in self.state_keys:
            if k in state:
                setattr(self, k, copy.deepcopy(state[k]))

    def on_train_begin(self, logs: dict[str, Any]) -> None: ...

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any]) -> None: ...

    def on_batch_end(self, batch: int, logs: dict[str, Any]) -> None: ...

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None: ...

    def on_train_end(self, logs: dict[str, Any]) -> None: ...


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


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C (SIGINT), or SIGTERM where the program asks for it, stopped ``fit`` at the end
    of a batch: the model holds the weights of that last completed batch and a consistent
    ``model.state``, so ``fit`` called again continues from there.

    Attributes
    ----------
    signum : int
        ``signal.SIGINT`` or ``signal.SIGTERM``.
    epoch : int
        Epochs completed (``model.epochs_trained``); the interrupted one is not counted.
    history : History
        What was recorded for the completed epochs of this call.
    """

    def __init__(self, message: str, *, signum: int, epoch: int, history: History) -> None:
        super().__init__(message)
        self.signum, self.epoch, self.history = signum, epoch, history


class _Interrupts:
    """Inside ``fit``, a signal whose handler is Python's ``default_int_handler`` (SIGINT's
    unless the program changed it; SIGTERM's where the program asks for the same, with
    ``signal.signal(SIGTERM, signal.default_int_handler)``) is held until the running batch
    ends, so that an interrupt never leaves a half-applied update. A second one interrupts
    at once. Handlers of the program's own are left alone."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self._saved: dict[int, Any] = {}

    def __enter__(self) -> _Interrupts:
        if threading.current_thread() is not threading.main_thread():
            return self  # only the main thread receives signals
        for sig in (signal.SIGINT, signal.SIGTERM):
            if signal.getsignal(sig) is signal.default_int_handler:
                self._saved[sig] = signal.default_int_handler
                signal.signal(sig, self._hold)
        return self

    def _hold(self, signum: int, frame: Any) -> None:
        if self.signum is not None:  # the second one: at once
            self.__exit__()
            raise KeyboardInterrupt
        self.signum = signum

    def __exit__(self, *exc: Any) -> None:
        for sig, old in self._saved.items():
            signal.signal(sig, old)
        self._saved = {}


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
        check_same_place(Xv, X, "X_val", "X's", "give both in one library, on one device")
        check_same_length(Xv, validation_data[1], names=("X_val", "y_val"))
        return X, Y, Xv, model.prepare_targets(validation_data[1], loss, Xv.shape[0], like=Xv)
    if validation_split:
        if not isinstance(validation_split, float | int) or not 0 < validation_split < 1:
            raise ValueError(f"validation_split must be in (0, 1), got {validation_split!r}")
        n_val = int(round(X.shape[0] * validation_split))
        if n_val < 1 or n_val >= X.shape[0]:
            raise ValueError(
                f"validation_split={validation_split} leaves {n_val} of {X.shape[0]} samples for "
                "validation; give more data or another split"
            )
        # as Keras: the last samples, taken before any shuffling
        cut = X.shape[0] - n_val
        return X[:cut, :], Y[:cut, :], X[cut:, :], Y[cut:, :]
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


def _interactive() -> bool:
    """Where ``verbose="auto"`` draws a bar: a terminal, or a Jupyter kernel (its stderr is
    no terminal, but tqdm.auto draws a notebook widget there)."""
    return sys.stderr.isatty() or "ipykernel" in sys.modules


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
        From :mod:`layerwise.schedules`, attached to the optimizer (saved and resumed with it).
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
    run = _Run.checked(model, **{k: v for k, v in locals().items() if k != "model"})
    history = run.begin(model)  # the first change to the model: everything is valid
    opt, loss, metric_fns, state = run.opt, run.loss, run.metric_fns, model.state
    guard, first_epoch, bar = _Guard(model), state.epochs_trained, _Progress(run.show, run.epochs)
    try:
        with run.settings_applied() as interrupts:
            for _ in range(run.epochs):
                epoch = state.epochs_trained + 1
                logs = _begin_epoch(model, run, epoch, guard)
                total, sums = 0.0, dict.fromkeys(metric_fns, 0.0)
                for bi, (Xb, Yb) in enumerate(run.batches(state.rng)):
                    A, caches = model.forward(Xb, training=True, check_input=False)  # 1.
                    batch_loss = loss.value(A, Yb) + model.penalty()
                    if not math.isfinite(batch_loss):
                        guard.diverged(epoch, history, opt.lr, older=bi == 0)
                    total += batch_loss * Xb.shape[0]
                    sums = {m: sums[m] + fn(A, Yb) * Xb.shape[0] for m, fn in metric_fns.items()}
                    grads = model.backward(caches, Yb, loss, check_input=False)  # 2.
                    apply_gradients(model, opt, grads, run.clipnorm)  # 3.
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


def apply_gradients(model, opt, grads: list[Any], clipnorm: float | None = None) -> None:
    """Step 3 with an optimizer: clip ``grads`` (from ``model.backward``) to the global norm
    ``clipnorm`` if given, then let ``opt`` update every trainable parameter."""
    pgs = model.param_grads(grads)
    if clipnorm is not None:
        pgs = _clipped(pgs, clipnorm)
    new = opt.step(pgs)
    if new:  # arrays that could not change in place (JAX): the new ones take their place
        model.assign(new)


def _interrupted(model, signum: int, history: History, batch: int) -> None:
    done = model.state.epochs_trained
    raise TrainingInterrupted(
        f"training interrupted by {signal.Signals(signum).name} after epoch {done} and "
        f"{batch + 1} batch(es) of the next: the model keeps the weights of the last "
        "completed batch; call fit again to continue",
        signum=signum,
        epoch=done,
        history=history,
    )


def _batch_end(run, guard, interrupts, history, batch: int, loss: float, n: int) -> None:
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


def _finish(model, run: _Run, history: History, guard: _Guard, first_epoch: int) -> None:
    """After the last epoch: weights still finite, the run's events, ``on_train_end``."""
    if not all(all_finite(p) for p in model.parameters().values()):
        guard.diverged(model.epochs_trained, history, run.opt.lr, older=False)
    history.events = [e for e in model.events if e["epoch"] >= first_epoch]
    for cb in run.callbacks:
        cb.on_train_end({"loss": history.loss[-1] if history.loss else None})


def _begin_epoch(model, run: _Run, epoch: int, guard: _Guard) -> dict[str, Any]:
    """Set the epoch's learning rate, tell the callbacks, and take the guard's snapshot."""
    if run.opt.schedule is not None:
        run.opt.schedule.begin_epoch(run.opt)
    logs: dict[str, Any] = {"lr": run.opt.lr}
    for cb in run.callbacks:
        cb.on_epoch_begin(epoch, logs)
    guard.begin_epoch()
    return logs


def _end_epoch(model, run: _Run, history: History, epoch, logs, total, sums, guard) -> None:
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


def _validate(model, run: _Run, history: History, logs, epoch, guard) -> None:
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


@dataclass
class _Run:
    """The checked settings of one ``fit`` call (built before anything changes)."""

    loss: Any
    X: np.ndarray
    Y: np.ndarray
    Xv: np.ndarray | None
    Yv: np.ndarray | None
    epochs: int
    initial_epoch: int | None
    batch_size: int | None
    shuffle: bool
    clipnorm: float | None
    opt: Any
    new_lr: float | None
    schedule: Any
    metric_fns: dict[str, Any]
    callbacks: list[Callback]
    show: bool
    chooser: ThreadChooser | None

    @classmethod
    def checked(
        cls, model, X, y, *, loss, optimizer, lr, epochs, batch_size, shuffle, validation_data,
        validation_split, metrics, callbacks, verbose, schedule, clipnorm, initial_epoch,
        threads,
    ) -> _Run:  # fmt: skip
        """Validate every argument of ``fit``; the model is not touched."""
        loss_obj = model.output_loss(loss)
        untrained = model.optimizer is None and model.epochs_trained == 0
        X = model.check_input(X, build=False, place=not untrained)  # the model follows X
        Y = model.prepare_targets(y, loss_obj, X.shape[0], like=X)
        epochs = check_positive(epochs, "epochs", integer=True)
        if initial_epoch is not None:
            initial_epoch = check_range(initial_epoch, "initial_epoch", 0, epochs, integer=True)
            epochs -= initial_epoch
        batch_size = check_positive(batch_size, "batch_size", integer=True, allow_none=True)
        clipnorm = check_positive(clipnorm, "clipnorm", allow_none=True)
        opt, new_lr = _resolve_optimizer(model, optimizer, lr)
        if schedule is not None and not isinstance(schedule, _schedules.Schedule):
            raise TypeError(
                f"schedule must be a lw.schedules object such as StepLR(10, 0.5), got "
                f"{type(schedule).__name__} {schedule!r}"
            )
        X, Y, Xv, Yv = _split_validation(model, loss_obj, X, Y, validation_data, validation_split)
        metric_fns = _metric_fns(loss_obj, metrics)
        cbs = _check_callbacks(callbacks)
        for cb in cbs:
            cb.check(model)
        show = _interactive() if verbose == "auto" else bool(verbose)
        threads = check_threads(threads)
        chooser = None if threads is None else ThreadChooser(threads)
        return cls(
            loss_obj, X, Y, Xv, Yv, epochs, initial_epoch, batch_size, bool(shuffle), clipnorm,
            opt, new_lr, schedule, metric_fns, cbs, show, chooser,
        )  # fmt: skip

    def begin(self, model) -> History:
        """Apply the run's settings to the model (the first change), return its History."""
        if not model.built:
            model.build(self.X.shape[1])
        if not same_place(self.X, model_arrays(model)):
            model.to(self.X)  # an untrained model: its arrays follow the data
        if self.initial_epoch is not None:
            model.epochs_trained = self.initial_epoch
        opt = model.optimizer = self.opt
        if self.new_lr is not None:
            opt.lr = self.new_lr
            if opt.schedule is not None:
                opt.schedule.base_lr = self.new_lr
        if self.schedule is not None:
            self.schedule.attach(opt)
        model.stop_training = False
        history = History(params={
            "loss": self.loss.name, "optimizer": opt.get_config(), "lr": opt.lr,
            "schedule": opt.schedule.get_config() if opt.schedule is not None else None,
            "clipnorm": self.clipnorm, "epochs": self.epochs, "batch_size": self.batch_size,
            "shuffle": self.shuffle, "n_samples": self.X.shape[0], "seed": model.seed,
            "threads": self.chooser.describe() if self.chooser else None,
        })  # fmt: skip
        _start_callbacks(model, self.callbacks, history, resume=self.initial_epoch is not None)
        return history

    @contextlib.contextmanager
    def settings_applied(self):
        """For the loop: BLAS threads as asked, Ctrl-C held to the end of a batch (yielded),
        and NumPy's floating-point warnings off (a non-finite loss is the guard's)."""
        with (
            self.chooser or contextlib.nullcontext(),
            _Interrupts() as interrupts,
            np.errstate(all="ignore"),
        ):
            yield interrupts

    def batches(self, rng: np.random.Generator):
        """Yield the epoch's batches ``(Xb, Yb)``: slices in order, or with shuffling the
        rows of a permutation drawn from the model's Generator."""
        X, Y, n = self.X, self.Y, self.X.shape[0]
        bs = n if self.batch_size is None else min(self.batch_size, n)
        xp = array_namespace(X)
        order = None
        if self.shuffle and bs < n:
            order = xp.asarray(rng.permutation(n), device=device_of(X))
        for start in range(0, n, bs):
            stop = min(start + bs, n)  # the standard leaves a stop past the end undefined
            if self.chooser:
                self.chooser.before_batch()
            if order is None:
                yield X[start:stop, :], Y[start:stop, :]
            else:
                idx = order[start:stop]
                yield xp.take(X, idx, axis=0), xp.take(Y, idx, axis=0)


def _start_callbacks(model, cbs: list[Callback], history: History, *, resume: bool) -> None:
    """Give the callbacks the model, start them, and keep them in ``model.state`` (their
    counters are saved with it). Resuming (``initial_epoch``), the counters saved under
    the same key continue."""
    saved = model.state.counters() if resume else {}
    keys = callback_keys(cbs)
    for key, cb in zip(keys, cbs):
        cb.set_context(model, history)
        cb.on_train_begin({})
        if key in saved:
            cb.set_state(saved[key])
    model.state.callbacks = dict(zip(keys, cbs))


def callback_keys(cbs: list[Callback]) -> list[str]:
    """The key of each callback's counters in ``model.state.callbacks``: its class name,
    with ``#2``, ``#3`` ... for a second and third of the same class."""
    seen: dict[str, int] = {}
    keys = []
    for cb in cbs:
        name = type(cb).__name__
        seen[name] = seen.get(name, 0) + 1
        keys.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    return keys


class _Progress:
    """The progress bar (tqdm) of a run, redrawn at most five times a second.

    It fits its line: on a terminal it follows the terminal's width; on another stream, the
    width tqdm is given (``TQDM_NCOLS``) or else ``COLUMNS``. Numbers have 4 significant
    digits, and the postfix keeps loss and val_loss first, then as many metrics as leave the
    bar at least 10 columns; with no known width (a notebook, a log file) everything is shown.
    """

    _FORMAT = "{n_fmt}/{total_fmt} |{bar}| {elapsed}<{remaining}{postfix}"
    _SHORT = {"accuracy": "acc", "val_accuracy": "val_acc"}

    def __init__(self, show: bool, total: int) -> None:
        self.bar, self.last_draw = None, 0.0
        if show:
            from tqdm.auto import tqdm

            width: dict[str, Any] = {}
            if all(c.__module__ != "tqdm.notebook" for c in tqdm.__mro__):  # a widget: no
                if getattr(sys.stderr, "isatty", lambda: False)():
                    width["dynamic_ncols"] = True
                elif os.environ.get("COLUMNS", "").isdigit() and "TQDM_NCOLS" not in os.environ:
                    width["ncols"] = int(os.environ["COLUMNS"]) or None
            self.bar = tqdm(
                total=total,
                unit="epoch",
                leave=True,
                file=sys.stderr,
                bar_format=self._FORMAT,
                **width,
            )

    def update(self, logs: dict[str, Any]) -> None:
        if self.bar is None:
            return
        self.bar.update(1)
        now = time.monotonic()
        if now - self.last_draw > 0.2 or self.bar.n == self.bar.total:  # the last one shows
            self.last_draw = now
            self.bar.set_postfix_str(self._postfix(logs), refresh=False)

    def _postfix(self, logs: dict[str, Any]) -> str:
        order = ["loss", "val_loss", *(k for k in logs if k not in ("loss", "val_loss", "lr"))]
        items = [f"{self._SHORT.get(k, k)}={logs[k]:.4g}" for k in order if k in logs]
        state = self.bar.format_dict  # also reads a terminal's width now
        width = state["ncols"]
        text = ""
        for item in items:
            longer = f"{text} {item}" if text else item
            # without ncols tqdm draws a 10-column bar: the line's length with the shortest bar
            line = self.bar.format_meter(**{**state, "ncols": None, "postfix": longer})
            if width and len(line) > width:
                break
            text = longer
        return text

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class _Guard:
    """The divergence guard: copies of the parameters and of the optimizer's state at the
    start of the last two epochs. A non-finite loss puts the last finite ones back (weights
    and optimizer together) and raises DivergenceError."""

    def __init__(self, model) -> None:
        self.model = model
        self.snaps: list[tuple[list, dict, int]] = []  # the newest first, two at most

    def begin_epoch(self) -> None:
        """Take this epoch's snapshot (the arrays as they are now, whatever surgery or the
        optimizer's first steps made of them)."""
        opt = self.model.state.optimizer
        params = [(l, p, getattr(l, p)) for l in self.model.layers for p in l.param_names]
        xp = array_namespace(params[0][2]) if params else None
        params = [(layer, name, xp.asarray(a, copy=True)) for layer, name, a in params]
        state = {k: _copy_slots(slots) for k, slots in opt.state.items()}
        self.snaps = [(params, state, opt.iterations), *self.snaps[:1]]

    def follow(self) -> None:
        """After callbacks that may have changed the network (surgery): if its parameters
        changed shape or name, the snapshots start again from it."""
        now = [getattr(l, p).shape for l in self.model.layers for p in l.param_names]
        keys = {f"{l.name}/{p}" for l in self.model.layers for p in l.param_names}
        if (
            not self.snaps
            or now != [arr.shape for _, _, arr in self.snaps[0][0]]
            or not set(self.snaps[0][1]) <= keys  # layers renamed (renumbered after surgery)
        ):
            self.snaps = []
            self.begin_epoch()

    def diverged(self, epoch: int, history: History, lr: float, *, older: bool) -> None:
        """Restore the newest snapshot (``older``: the one before) and raise."""
        params, state, iterations = self.snaps[1 if older and len(self.snaps) > 1 else 0]
        for layer, name, arr in params:
            setattr(layer, name, array_namespace(arr).asarray(arr, copy=True))
        opt = self.model.optimizer
        opt.state = {k: _copy_slots(slots) for k, slots in state.items()}
        opt.iterations = iterations
        raise DivergenceError(
            f"training diverged at epoch {epoch}: the loss became NaN or infinite. The model "
            f"keeps its last finite weights. Try a smaller learning rate (lr={lr:g} now), "
            "standardised inputs, or gradient clipping.",
            epoch=epoch,
            history=history,
        )


def _copy_slots(slots: dict[str, Any]) -> dict[str, Any]:
    """A copy of one parameter's optimizer state: arrays copied, the step count (a NumPy
    scalar, which cannot change) as it is."""
    return {
        n: v if n == "step" else array_namespace(v).asarray(v, copy=True) for n, v in slots.items()
    }


def _resolve_optimizer(model, optimizer, lr) -> tuple[_optimizers.Optimizer, float | None]:
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
    untrained = model.optimizer is None and model.epochs_trained == 0
    X = model.check_input(X, build=False, place=not untrained)
    Y = model.prepare_targets(y, loss_obj, X.shape[0], like=X)
    clipnorm = check_positive(clipnorm, "clipnorm", allow_none=True)
    opt, new_lr = _resolve_optimizer(model, optimizer, lr)
    model.check_input(X, place=False)  # every argument is good: build an unbuilt model
    if not same_place(X, model_arrays(model)):
        model.to(X)
    if new_lr is not None:
        opt.lr = new_lr
        if opt.schedule is not None:
            opt.schedule.base_lr = new_lr
    model.optimizer = opt
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
