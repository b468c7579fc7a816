"""Callbacks: small objects that ``fit`` calls at fixed points of training.

The protocol (every method optional; ``logs`` is a dict of the latest values, such as
``{"loss": 0.31, "val_loss": 0.35, "accuracy": 0.9, "lr": 0.01}``)::

    on_train_begin(logs)
    on_epoch_begin(epoch, logs)
    on_batch_end(batch, logs)          # logs["loss"]: that batch's loss
    on_epoch_end(epoch, logs)
    on_train_end(logs)

``fit`` sets ``callback.model`` and ``callback.history`` before ``on_train_begin``. A
callback stops training by setting ``self.model.stop_training = True``; ``fit`` finishes
the current epoch and returns.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Callable
from typing import Any

from layerwise._internal.validation import (
    MODE,
    MONITOR,
    NON_NEGATIVE,
    NON_NEGATIVE_INT,
    PATH,
    POSITIVE_INT,
    Boolean,
    Instance,
    Interval,
    check_params,
    set_params,
)
from layerwise.training._callback import (
    Callback,  # the base class lives with the loop
    _monitored,
)
from layerwise.training._grow import GrowOnPlateau
from layerwise.training._liveplot import LivePlot
from layerwise.training._mlflow import MLflowLogger
from layerwise.training.schedules import ReduceLROnPlateau as _Plateau
from layerwise.training.schedules import improved, resolve_mode

__all__ = [
    "Callback",
    "LambdaCallback",
    "GrowOnPlateau",
    "EarlyStopping",
    "ModelCheckpoint",
    "CSVLogger",
    "ReduceLROnPlateau",
    "LivePlot",
    "MLflowLogger",
]


class LambdaCallback(Callback):
    """A callback from plain functions: ``LambdaCallback(on_epoch_end=lambda e, logs: ...)``."""

    _parameter_constraints = {
        hook: [Instance(Callable, what="a function")]
        for hook in ("on_train_begin", "on_epoch_begin", "on_batch_end", "on_epoch_end",
                     "on_train_end")
    }  # fmt: skip

    def __init__(self, **hooks: Any) -> None:
        unknown = set(hooks) - set(self._parameter_constraints)
        if unknown:
            raise ValueError(
                f"unknown hook(s) {sorted(unknown)}; valid: {sorted(self._parameter_constraints)}"
            )
        set_params(self, **hooks)


class _Monitor(Callback):
    """Shared logic: is a value better than the best so far (by more than min_delta)?"""

    _parameter_constraints: dict[str, list] = {
        "monitor": [MONITOR], "mode": [MODE], "min_delta": [NON_NEGATIVE],
    }  # fmt: skip

    monitor: str  # the parameters, set by set_params
    mode: str
    min_delta: float

    def __init__(self, monitor: str, mode: str, min_delta: float) -> None:
        set_params(self, monitor=monitor, mode=mode, min_delta=min_delta)
        self.mode = resolve_mode(self.mode, monitor)
        self.best: float | None = None

    def _improves(self, value: float) -> bool:
        return improved(value, self.best, mode=self.mode, delta=self.min_delta)


class EarlyStopping(_Monitor):
    """Stop training when the monitored value has stopped improving (Keras' EarlyStopping).

    After each epoch the value is compared with the best so far; it improves when it is
    lower (mode "min") or higher ("max") by more than ``min_delta``. After ``patience``
    epochs in a row without improvement, training stops; with ``restore_best_weights``
    the model's parameters and buffers are then set back to those of the best epoch.

    Parameters
    ----------
    monitor : str, default "val_loss"
        A key of the epoch's logs ("loss", "val_loss", "val_accuracy", ...).
    patience : int, default 10
        Epochs without improvement tolerated (>= 1).
    min_delta : float, default 0
    restore_best_weights : bool, default False
        Keras' default; True is usually what you want.
    mode : {"auto", "min", "max"}, default "auto"
        "auto": ``lw.schedules.monitor_mode(monitor)``, "max" for scores and accuracies,
        "min" for losses and errors.

    Attributes
    ----------
    best : float or None
    best_epoch : int or None
        The epoch (counted over the model's life) of the best value.
    stopped_epoch : int or None
        The epoch after which training stopped, None if it did not stop early.

    Examples
    --------
    >>> import numpy as np, layerwise as lw
    >>> X = np.random.default_rng(0).normal(size=(200, 2)); y = X[:, 0] > 0
    >>> model = lw.mlp(2, [8], 1, output_activation="sigmoid", seed=0)
    >>> stop = lw.callbacks.EarlyStopping(patience=5, min_delta=1e-3, restore_best_weights=True)
    >>> h = model.fit(X, y, loss="bce", optimizer="adam", lr=0.01, epochs=500,
    ...               validation_split=0.2, callbacks=[stop], verbose=False)
    >>> len(h) < 500
    True
    """

    _parameter_constraints = {
        **_Monitor._parameter_constraints, "patience": [POSITIVE_INT],
        "restore_best_weights": [Boolean()],
    }  # fmt: skip
    patience: int  # set by set_params
    restore_best_weights: bool

    def __init__(
        self,
        monitor: str = "val_loss",
        *,
        patience: int = 10,
        min_delta: float = 0.0,
        restore_best_weights: bool = False,
        mode: str = "auto",
    ) -> None:
        super().__init__(monitor, mode, min_delta)
        set_params(self, patience=patience, restore_best_weights=restore_best_weights)
        self.wait = 0
        self.best_epoch: int | None = None
        self.stopped_epoch: int | None = None
        self.best_weights: dict[str, Any] | None = None

    state_keys = ("best", "wait", "best_epoch", "stopped_epoch", "best_weights")

    def on_train_begin(self, logs: dict[str, Any]) -> None:
        self.best, self.wait, self.best_epoch, self.stopped_epoch = None, 0, None, None
        self.best_weights = None

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        value = _monitored(logs, self.monitor, "EarlyStopping")
        if self._improves(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_weights = self.model.snapshot()
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            self.model.stop_training = True
            if self.restore_best_weights and self.best_weights is not None:
                self.model.restore(self.best_weights)


class ModelCheckpoint(_Monitor):
    """Save the model with ``lw.save`` after each epoch (or only when it improves).

    The file holds the weights, the optimizer (config, state, schedule), the epoch count
    and the random generator's state, so ``lw.load(path).fit(..., epochs=N,
    initial_epoch=k)`` continues exactly as the original run would have.

    Parameters
    ----------
    path : str or path-like
        File to write; may contain ``{epoch}`` and log keys, as Keras
        (``"ckpt-{epoch:03d}.npz"``). Each write is atomic.
    monitor : str, default "val_loss"
        Used with ``save_best_only``.
    save_best_only : bool, default False
        Save only when the monitored value improves on the best so far.
    mode : {"auto", "min", "max"}, default "auto"
    metadata : dict, optional
        Stored in the file as ``lw.save``'s metadata.

    Attributes
    ----------
    last_saved : str or None
        Path of the latest file written.
    """

    _parameter_constraints = {
        **_Monitor._parameter_constraints, "path": [PATH], "save_best_only": [Boolean()],
        "metadata": [Instance(dict, what="a dict"), None],
    }  # fmt: skip
    save_best_only: bool  # set by set_params
    metadata: dict[str, Any] | None

    def __init__(
        self,
        path: str | os.PathLike[str],
        monitor: str = "val_loss",
        *,
        save_best_only: bool = False,
        mode: str = "auto",
        metadata: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(monitor, mode, 0.0)
        set_params(self, path=path, save_best_only=save_best_only, metadata=metadata)
        self.path = os.fspath(path)
        self.last_saved: str | None = None

    state_keys = ("best", "last_saved")

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        from layerwise.saving import save

        if self.save_best_only:
            value = _monitored(logs, self.monitor, "ModelCheckpoint")
            if not self._improves(value):
                return
            self.best = value
        path = self.path.format(epoch=epoch, **logs) if "{" in self.path else self.path
        save(self.model, path, history=self.history, metadata=self.metadata)
        self.last_saved = path


class CSVLogger(Callback):
    """Write one row per epoch (``epoch`` and every log value) to a CSV file.

    The file is rewritten atomically after every epoch, so it is always complete and
    readable while training runs.

    Parameters
    ----------
    path : str or path-like
    append : bool, default False
        Keep the rows of an existing file (same columns) and add to them.
    """

    _parameter_constraints = {"path": [PATH], "append": [Boolean()]}
    append: bool  # set by set_params

    def __init__(self, path: str | os.PathLike[str], *, append: bool = False) -> None:
        set_params(self, path=path, append=append)
        self.path = os.fspath(path)
        self._header: list[str] | None = None
        self._lines: list[str] = []

    def on_train_begin(self, logs: dict[str, Any]) -> None:
        self._header, self._lines = None, []
        if self.append and os.path.exists(self.path):
            with open(self.path, newline="") as f:
                lines = f.read().splitlines()
            if lines:
                self._header, self._lines = lines[0].split(","), lines[1:]

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        import csv
        import io

        from layerwise._internal.files import atomic_write

        row = {"epoch": epoch, **logs}
        if self._header is None:
            self._header = list(row)
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow(
            [repr(v) if isinstance(v, float) else v for v in (row.get(k, "") for k in self._header)]
        )
        self._lines.append(buf.getvalue().rstrip("\n"))
        with atomic_write(self.path, newline="") as f:
            f.write("\n".join([",".join(self._header), *self._lines]) + "\n")


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` when the monitored value stops improving.

    A callback form of :class:`layerwise.training.schedules.ReduceLROnPlateau` (the same counting,
    PyTorch's: the rate drops once more than ``patience`` epochs in a row have not improved
    by more than ``min_delta``, then ``cooldown`` epochs are not counted). Its counters
    live in this object; to have them saved in checkpoints and resumed, pass the schedule
    to ``fit(schedule=lw.schedules.ReduceLROnPlateau(...))`` instead.

    Parameters
    ----------
    monitor : str, default "val_loss"
    factor : float, default 0.1
    patience : int, default 10
    min_lr : float, default 0
    min_delta : float, default 1e-4
        Absolute improvement needed (Keras' convention).
    cooldown : int, default 0
    mode : {"auto", "min", "max"}, default "auto"
    """

    _parameter_constraints = {
        "monitor": [MONITOR], "mode": [MODE], "patience": [NON_NEGATIVE_INT],
        "factor": [Interval(numbers.Real, 0, 1, closed="neither")], "min_lr": [NON_NEGATIVE],
        "min_delta": [NON_NEGATIVE], "cooldown": [NON_NEGATIVE_INT],
    }  # fmt: skip

    def __init__(
        self,
        monitor: str = "val_loss",
        *,
        factor: float = 0.1,
        patience: int = 10,
        min_lr: float = 0.0,
        min_delta: float = 1e-4,
        cooldown: int = 0,
        mode: str = "auto",
    ) -> None:
        check_params(self, monitor=monitor, factor=factor, patience=patience, min_lr=min_lr,
                     min_delta=min_delta, cooldown=cooldown, mode=mode)  # fmt: skip
        self.plateau = _Plateau(
            monitor, mode=mode, factor=factor, patience=patience, threshold=min_delta,
            threshold_mode="abs", cooldown=cooldown, min_lr=min_lr,
        )  # fmt: skip

    def get_state(self) -> dict[str, Any]:
        return self.plateau._state()

    def set_state(self, state: dict[str, Any]) -> None:
        self.plateau._set_state(state)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        _monitored(logs, self.plateau.monitor, "ReduceLROnPlateau")
        self.plateau.end_epoch(logs, self.model.optimizer)
