"""The checked settings of one ``fit`` call (``_Run``), built before anything changes.

``fit``'s signature declares its settings (names, defaults, types, docs); ``FIT_RULES``
beside it here declares each one's rule; ``_Run.checked`` takes them as one dict, so no
setting is listed a second time.
"""

from __future__ import annotations

import contextlib
import numbers
from collections.abc import Iterator, Sequence
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
    NON_NEGATIVE_INT,
    POSITIVE,
    POSITIVE_INT,
    Boolean,
    Instance,
    Interval,
    Options,
    Rule,
    check_param,
    check_params,
    check_same_length,
    check_X,
)
from layerwise.training import metrics as _metrics
from layerwise.training import schedules as _schedules
from layerwise.training._callback import Callback, _check_callbacks, _start_callbacks
from layerwise.training._history import History
from layerwise.training._interrupts import _Interrupts
from layerwise.training._progress import _interactive
from layerwise.training._step import prepare_step, use_optimizer
from layerwise.training._threads import ThreadChooser, check_threads

# the rule of each of fit's settings that is a plain value (the others are resolved below:
# loss, optimizer, lr, validation_data, metrics, callbacks, threads)
FIT_RULES: dict[str, list[Rule | None]] = {
    "epochs": [POSITIVE_INT],
    "batch_size": [POSITIVE_INT, None],
    "shuffle": [Boolean()],
    "validation_split": [Interval(numbers.Real, 0, 1, closed="left")],
    "verbose": [Boolean(), Options("auto"), NON_NEGATIVE_INT],
    "schedule": [Instance(_schedules.Schedule, what="a lw.schedules object (StepLR(10, 0.5))"),
                 None],
    "clipnorm": [POSITIVE, None],
    "initial_epoch": [NON_NEGATIVE_INT, None],
}  # fmt: skip


def _split_validation(
    model: Any, loss: Any, X: Any, Y: Any, validation_data: Any, validation_split: float
) -> tuple[Any, Any, Any, Any]:
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


def _metric_fns(loss: Any, metrics: Any) -> dict[str, Any]:
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

    settings: dict[str, Any]  # fit's plain settings, checked (epochs: those left to run)
    loss: Any
    X: Any
    Y: Any
    Xv: Any
    Yv: Any
    opt: Any
    new_lr: float | None
    metric_fns: dict[str, Any]
    callbacks: list[Callback]
    show: bool
    chooser: ThreadChooser | None

    @classmethod
    def checked(cls, model: Any, args: dict[str, Any]) -> _Run:
        """Validate every argument of ``fit`` (``args``: by name, as ``locals()`` gives
        them); the model is not touched."""
        X, y = args["X"], args["y"]
        s = {k: v for k, v in args.items() if k not in ("model", "X", "y")}
        s.update(check_params(FIT_RULES, **{k: s[k] for k in FIT_RULES}))
        loss, X, Y, opt, new_lr = prepare_step(model, X, y, s["loss"], s["optimizer"], s["lr"])
        if s["initial_epoch"] is not None:
            rule = [Interval(numbers.Integral, 0, s["epochs"], closed="left")]
            s["epochs"] -= check_param(s["initial_epoch"], "initial_epoch", rule)
        X, Y, Xv, Yv = _split_validation(
            model, loss, X, Y, s["validation_data"], s["validation_split"]
        )
        cbs = _check_callbacks(s["callbacks"])
        for cb in cbs:
            cb.check(model)
        show = _interactive() if s["verbose"] == "auto" else bool(s["verbose"])
        threads = check_threads(s["threads"])
        chooser = None if threads is None else ThreadChooser(threads)
        metric_fns = _metric_fns(loss, s["metrics"])
        return cls(s, loss, X, Y, Xv, Yv, opt, new_lr, metric_fns, cbs, show, chooser)

    def begin(self, model: Any) -> History:
        """Apply the run's settings to the model (the first change), return its History."""
        if not model.built:
            model.build(self.X.shape[1])
        if not same_place(self.X, model_arrays(model)):
            model.to(self.X)  # an untrained model: its arrays follow the data
        s = self.settings
        if s["initial_epoch"] is not None:
            model.epochs_trained = s["initial_epoch"]
        opt = use_optimizer(model, self.opt, self.new_lr)
        if s["schedule"] is not None:
            s["schedule"].attach(opt)
        model.stop_training = False
        history = History(params={
            "loss": self.loss.name, "optimizer": opt.get_config(), "lr": opt.lr,
            "schedule": opt.schedule.get_config() if opt.schedule is not None else None,
            **{k: s[k] for k in ("clipnorm", "epochs", "batch_size", "shuffle")},
            "n_samples": self.X.shape[0], "seed": model.seed,
            "threads": self.chooser.describe() if self.chooser else None,
        })  # fmt: skip
        _start_callbacks(model, self.callbacks, history, resume=s["initial_epoch"] is not None)
        return history

    @contextlib.contextmanager
    def settings_applied(self) -> Iterator[_Interrupts]:
        """For the loop: BLAS threads as asked, Ctrl-C held to the end of a batch (yielded),
        and NumPy's floating-point warnings off (a non-finite loss is the guard's)."""
        with (
            self.chooser or contextlib.nullcontext(),
            _Interrupts() as interrupts,
            np.errstate(all="ignore"),
        ):
            yield interrupts

    def batches(self, rng: np.random.Generator) -> Iterator[tuple[Any, Any]]:
        """Yield the epoch's batches ``(Xb, Yb)``: slices in order, or with shuffling the
        rows of a permutation drawn from the model's Generator."""
        X, Y, n, batch_size = self.X, self.Y, self.X.shape[0], self.settings["batch_size"]
        bs = n if batch_size is None else min(batch_size, n)
        xp = array_namespace(X)
        order = None
        if self.settings["shuffle"] and bs < n:
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
