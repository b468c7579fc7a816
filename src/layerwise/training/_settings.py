"""The checked settings of one ``fit`` call (``_Run``), built before anything changes."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from layerwise._internal.array_api import (
    array_namespace,
    check_same_place,
    device_of,
    model_arrays,
    same_place,
)
from layerwise._internal.validation import (
    check_positive,
    check_range,
    check_same_length,
    check_X,
)
from layerwise.training import metrics as _metrics
from layerwise.training import schedules as _schedules
from layerwise.training._callback import Callback, _check_callbacks, _start_callbacks
from layerwise.training._history import History
from layerwise.training._interrupts import _Interrupts
from layerwise.training._progress import _interactive
from layerwise.training._step import _resolve_optimizer
from layerwise.training._threads import ThreadChooser, check_threads


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
