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

import math
from typing import Any

from layerwise._mlflow import MLflowLogger
from layerwise._validation import check_same_length
from layerwise._widen import check_init
from layerwise.layers import Dense
from layerwise.schedules import ReduceLROnPlateau as _Plateau
from layerwise.schedules import improved, monitor_mode, resolve_mode
from layerwise.surgery import preserving_activation
from layerwise.training import Callback  # the base class lives with the loop that calls it

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

    def __init__(self, **hooks: Any) -> None:
        valid = {"on_train_begin", "on_epoch_begin", "on_batch_end", "on_epoch_end", "on_train_end"}
        unknown = set(hooks) - valid
        if unknown:
            raise ValueError(f"unknown hook(s) {sorted(unknown)}; valid: {sorted(valid)}")
        for name, fn in hooks.items():
            setattr(self, name, fn)


def _positive_int(value: Any, name: str, *, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


class GrowOnPlateau(Callback):
    """Grow the network, keeping what it learned, when the monitored loss stops improving.

    After ``patience`` epochs in which ``monitor`` has not fallen below its best value by
    more than ``min_delta``, the narrowest Dense hidden layer is widened by ``widen_by``
    neurons (function-preserving Net2WiderNet, plus ``noise`` to break the symmetry of the
    copies; or fresh neurons, ``init="gradmax"``, ``"random"`` or ``"zeros"``), capped at
    ``max_units``. When every hidden layer has ``max_units`` neurons, or
    with ``add_layer=True``, a layer is added instead: an identity-initialised Dense layer
    after the last hidden one (see ``Sequential.deepen``), with that layer's activation when
    it preserves the function, else relu (after non-negative activations) or identity. An
    identity layer adds no capacity (followed by the next Dense layer it is still one linear
    map), only another path for optimisation: with tanh, elu or gelu hidden layers prefer
    growth in width. Each
    growth is recorded in ``model.events`` and ``History.events``; the optimizer's state
    follows the change.

    Parameters
    ----------
    patience : int, default 5
        Epochs without improvement before growing; the count restarts after each growth.
    widen_by : int, default 4
        Neurons added per widening.
    max_units : int or None, default 64
        Widest a hidden layer may grow by widening (None: no limit, never add a layer
        unless ``add_layer``).
    add_layer : bool, default False
        Grow by adding layers instead of widening.
    max_layers : int or None, default 4
        At most this many Dense hidden layers (None: no limit); once reached, and every
        hidden layer has ``max_units``, nothing grows any more.
    monitor : str, default "val_loss"
        A key of the epoch logs (``"loss"`` when there is no validation data). Losses
        improve downwards, accuracies and scores upwards (``lw.schedules.monitor_mode``).
    min_delta : float, default 0.0
        Smallest change in that direction that counts as an improvement.
    noise : float, default 0.1
        Noise of each widening with ``init="copy"``, relative to the std of the widened
        layer's weights. Exact copies would learn in lockstep with their source and add
        nothing; 0.1 lets them drift apart while moving the outputs only a little.
    init : {"copy", "gradmax", "random", "zeros"}, default "copy"
        How each widening makes its neurons (see ``Sequential.widen``): copies (with
        ``noise``), or fresh neurons with zero incoming weights whose outgoing weights are
        chosen by GradMax on ``data``, at random, or zero. Every fresh init keeps the function.
    data : tuple (X, y), optional
        ``init="gradmax"`` only (required there): the batch GradMax computes its gradient on,
        e.g. a few hundred training samples; checked against the model when ``fit`` starts.
    loss : str or Loss, optional
        ``init="gradmax"`` only (required there): the loss ``fit`` trains with.

    Examples
    --------
    >>> import numpy as np, layerwise as lw
    >>> X = np.random.default_rng(1).normal(size=(200, 2))
    >>> y = (X**2).sum(axis=1) < 1.2                     # inside a circle: 2 relus are too few
    >>> model = lw.mlp(2, [2], 1, output_activation="sigmoid", seed=1)
    >>> grow = lw.callbacks.GrowOnPlateau(patience=5, widen_by=3, max_units=8, max_layers=2,
    ...                                   monitor="loss", min_delta=0.01)
    >>> history = model.fit(X, y, loss="bce", lr=0.5, epochs=300, callbacks=[grow], verbose=False)
    >>> [e["change"].split()[0] for e in history.events], [layer.units for layer in model.layers]
    (['widen', 'widen', 'deepen'], [8, 8, 1])
    >>> history.metrics["accuracy"][-1] > 0.95
    True
    """

    def __init__(
        self,
        *,
        patience: int = 5,
        widen_by: int = 4,
        max_units: int | None = 64,
        add_layer: bool = False,
        max_layers: int | None = 4,
        monitor: str = "val_loss",
        min_delta: float = 0.0,
        noise: float = 0.1,
        init: str = "copy",
        data: tuple | None = None,
        loss: Any = None,
    ) -> None:
        self.init = check_init(init, 0.0, 0.0, data, loss, who="GrowOnPlateau")
        self.data, self.loss = data, loss
        self.patience = _positive_int(patience, "patience")
        self.widen_by = _positive_int(widen_by, "widen_by")
        self.max_units = _positive_int(max_units, "max_units", allow_none=True)
        self.max_layers = _positive_int(max_layers, "max_layers", allow_none=True)
        self.add_layer = bool(add_layer)
        self.mode = monitor_mode(monitor)  # a loss falls, an accuracy rises
        self.monitor = monitor
        for name, value in (("min_delta", min_delta), ("noise", noise)):
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not (math.isfinite(value) and value >= 0)
            ):
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
        self.min_delta, self.noise = float(min_delta), float(noise)
        self.best: float | None = None
        self.wait = 0

    def _hidden(self) -> list[int]:
        layers = self.model.layers
        return [k for k in range(len(layers) - 1) if isinstance(layers[k], Dense)]

    state_keys = ("best", "wait")

    def check(self, model: Any) -> None:
        if not any(isinstance(layer, Dense) for layer in model.layers[:-1]):
            raise ValueError(
                "GrowOnPlateau needs a model with at least one Dense hidden layer to grow "
                "(this one has only its output layer); build it with lw.mlp(n_in, [units], ...)"
            )
        if self.init == "gradmax":  # its batch must fit the model before training starts
            X = model.check_input(self.data[0], name="GrowOnPlateau data X")
            check_same_length(X, self.data[1], names=("GrowOnPlateau data X", "data y"))
            model.prepare_targets(self.data[1], model.output_loss(self.loss), len(X))

    def on_train_begin(self, logs: dict[str, Any]) -> None:
        self.best, self.wait = None, 0

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        value = _monitored(logs, self.monitor, "GrowOnPlateau")
        if improved(value, self.best, mode=self.mode, delta=self.min_delta):
            self.best, self.wait = value, 0
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.wait = 0
            self.grow()

    def grow(self) -> str | None:
        """Grow once now; return the change recorded, or None when nothing can grow."""
        model, hidden = self.model, self._hidden()
        n_events = len(model.events)
        narrow = [
            k for k in hidden if self.max_units is None or model.layers[k].units < self.max_units
        ]
        if narrow and not self.add_layer:
            k = min(narrow, key=lambda k: model.layers[k].units)
            units = model.layers[k].units + self.widen_by
            if self.max_units is not None:
                units = min(units, self.max_units)
            noise = self.noise if self.init == "copy" else 0.0
            model.widen(k, units, noise=noise, init=self.init, data=self.data, loss=self.loss)
        elif self.max_layers is None or len(hidden) < self.max_layers:
            k = len(model.layers) - 2  # the last hidden layer (Dense, BatchNorm, Dropout...)
            model.deepen(k, activation=preserving_activation(model, k))
        else:
            return None
        return model.events[-1]["change"] if len(model.events) > n_events else None


# ------------------------------------------------------------------ training control (issue 5)
def _monitored(logs: dict[str, Any], monitor: str, who: str) -> float:
    if monitor not in logs:
        raise ValueError(
            f"{who} monitors {monitor!r}, which fit does not report (available: "
            f"{', '.join(sorted(logs))}); pass validation_data or validation_split to fit, "
            "or monitor='loss'"
        )
    return float(logs[monitor])


class _Monitor(Callback):
    """Shared logic: is a value better than the best so far (by more than min_delta)?"""

    def __init__(self, monitor: str, mode: str, min_delta: float) -> None:
        if not isinstance(monitor, str):
            raise TypeError(f"monitor must be a log name such as 'val_loss', got {monitor!r}")
        self.monitor = monitor
        self.mode = resolve_mode(mode, monitor)
        if isinstance(min_delta, bool) or not isinstance(min_delta, int | float):
            raise TypeError(f"min_delta must be a number >= 0, got {min_delta!r}")
        if not (math.isfinite(min_delta) and min_delta >= 0):
            raise ValueError(f"min_delta must be a finite number >= 0, got {min_delta!r}")
        self.min_delta = float(min_delta)
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
        self.patience = _positive_int(patience, "patience")
        self.restore_best_weights = bool(restore_best_weights)
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

    def __init__(
        self,
        path: Any,
        monitor: str = "val_loss",
        *,
        save_best_only: bool = False,
        mode: str = "auto",
        metadata: dict[str, Any] | None = None,
    ) -> None:
        import os

        super().__init__(monitor, mode, 0.0)
        self.path = os.fspath(path)
        self.save_best_only = bool(save_best_only)
        self.metadata = metadata
        self.last_saved: str | None = None

    state_keys = ("best", "last_saved")

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        from layerwise.io import save

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

    def __init__(self, path: Any, *, append: bool = False) -> None:
        import os

        self.path = os.fspath(path)
        self.append = bool(append)
        self._header: list[str] | None = None
        self._lines: list[str] = []

    def on_train_begin(self, logs: dict[str, Any]) -> None:
        import os

        self._header, self._lines = None, []
        if self.append and os.path.exists(self.path):
            with open(self.path, newline="") as f:
                lines = f.read().splitlines()
            if lines:
                self._header, self._lines = lines[0].split(","), lines[1:]

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        import csv
        import io

        from layerwise._files import atomic_write

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

    A callback form of :class:`layerwise.schedules.ReduceLROnPlateau` (the same counting,
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


class LivePlot(Callback):
    """Redraw the loss curves in place while ``fit`` runs, in a Jupyter notebook.

    In a notebook (an IPython kernel), the first redraw shows a picture of the training
    loss per epoch (and the validation loss, and a dotted line at each change of the
    network from ``model.events``) and every later one replaces that picture in place
    (one display handle). Drawing is throttled: a redraw waits at least ``every`` seconds
    of wall time since the previous one, and at least 19 times as long as the previous
    redraw took, so that drawing costs at most about 5% of the training time; the last
    epoch is always drawn, when training ends.

    The picture is an SVG drawn without matplotlib (see ``layerwise._display.curves_svg``):
    a redraw of a 5,000-epoch curve takes milliseconds.

    Outside a notebook nothing is shown; with ``path``, the final picture is written there
    (in a notebook too). Without ``path`` it then does nothing at all.

    Parameters
    ----------
    every : float, default 1.0
        Least seconds between two redraws (0: every epoch, as the 5% rule allows).
    path : str or PathLike, optional
        Write the final picture there when training ends: an SVG file, named ``*.svg``.
    logy : bool or None, default None
        Logarithmic y axis; None: when the losses span more than 50x.

    Examples
    --------
    >>> import numpy as np, layerwise as lw
    >>> X = np.random.default_rng(0).normal(size=(64, 2)); y = X[:, 0] > 0
    >>> model = lw.mlp(2, [4], 1, output_activation="sigmoid", seed=0)
    >>> h = model.fit(X, y, loss="bce", epochs=3, callbacks=[lw.callbacks.LivePlot()],
    ...               verbose=False)
    """

    def __init__(self, *, every: float = 1.0, path: Any = None, logy: bool | None = None):
        import numbers
        import os

        if isinstance(every, bool) or not isinstance(every, numbers.Real):
            raise TypeError(f"every must be a number of seconds, got {every!r}")
        if not math.isfinite(every) or every < 0:
            raise ValueError(f"every must be a finite number of seconds >= 0, got {every!r}")
        if path is not None and not isinstance(path, str | os.PathLike):
            raise TypeError(f"path must be a file path (str or PathLike) or None, got {path!r}")
        if path is not None and not os.fspath(path).lower().endswith(".svg"):
            raise ValueError(f"path must name an .svg file (the picture is SVG), got {path!r}")
        if logy is not None and not isinstance(logy, bool):
            raise TypeError(f"logy must be True, False or None, got {logy!r}")
        self.every, self.path, self.logy = float(every), path, logy
        self.epochs: list[int] = []
        self.loss: list[float] = []
        self.val_loss: list[float] = []
        self.draws = 0  # redraws shown so far (in a notebook), and the time they took
        self.draw_seconds = 0.0
        self._handle: Any = None
        self._next = 0.0

    def on_train_begin(self, logs: dict[str, Any]) -> None:
        import time

        self._handle = None
        self._notebook = _in_notebook()
        self._next = time.perf_counter() + self.every

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        if self.epochs and epoch <= self.epochs[-1]:  # a fresh count: a new curve
            self.epochs, self.loss, self.val_loss = [], [], []
        self.epochs.append(epoch)
        self.loss.append(float(logs["loss"]))
        if "val_loss" in logs:
            self.val_loss.append(float(logs["val_loss"]))
        if self._notebook:
            import time

            if time.perf_counter() >= self._next:
                self._show()

    def on_train_end(self, logs: dict[str, Any]) -> None:
        if not self.epochs:
            return
        svg = self._show() if self._notebook else None
        if self.path is not None:
            from layerwise._files import atomic_write

            with atomic_write(self.path, "w", encoding="utf-8") as f:
                f.write(svg if svg is not None else self._svg())

    def _svg(self) -> str:
        from layerwise import _display

        events = getattr(self.model, "events", None) or []
        first = self.epochs[0]
        marks = [e["epoch"] for e in events if e.get("epoch", 0) >= first - 1]
        val = self.val_loss if len(self.val_loss) == len(self.loss) else []
        return _display.curves_svg(self.loss, val, marks, epochs=self.epochs, logy=self.logy)

    def _show(self) -> str:
        import time

        from IPython.display import SVG, display

        start = time.perf_counter()
        svg = self._svg()
        if self._handle is None:
            self._handle = display(SVG(data=svg), display_id=True)
        else:
            self._handle.update(SVG(data=svg))
        took = time.perf_counter() - start
        self.draws += 1
        self.draw_seconds += took
        self._next = time.perf_counter() + max(self.every, 19 * took)
        return svg


def _in_notebook() -> bool:
    """True inside a Jupyter kernel (IPython with a kernel), without importing IPython."""
    import sys

    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None
