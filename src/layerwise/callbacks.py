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

from layerwise.layers import Dense
from layerwise.surgery import preserves

__all__ = ["Callback", "LambdaCallback", "GrowOnPlateau"]


class Callback:
    """Base class: override the hooks you need."""

    model: Any = None
    history: Any = None

    def set_context(self, model: Any, history: Any) -> None:
        self.model, self.history = model, history

    def on_train_begin(self, logs: dict[str, Any]) -> None: ...

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any]) -> None: ...

    def on_batch_end(self, batch: int, logs: dict[str, Any]) -> None: ...

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None: ...

    def on_train_end(self, logs: dict[str, Any]) -> None: ...


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
    copies), capped at ``max_units``. When every hidden layer has ``max_units`` neurons, or
    with ``add_layer=True``, a layer is added instead: an identity-initialised Dense layer
    after the last hidden one (see ``Sequential.deepen``), with that layer's activation when
    it preserves the function, else relu (after non-negative activations) or identity. Each
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
        A key of the epoch logs (``"loss"`` when there is no validation data).
    min_delta : float, default 0.0
        Smallest decrease that counts as an improvement.
    noise : float, default 0.01
        Noise of each widening, relative to the std of the widened layer's weights.

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
        noise: float = 0.01,
    ) -> None:
        self.patience = _positive_int(patience, "patience")
        self.widen_by = _positive_int(widen_by, "widen_by")
        self.max_units = _positive_int(max_units, "max_units", allow_none=True)
        self.max_layers = _positive_int(max_layers, "max_layers", allow_none=True)
        self.add_layer = bool(add_layer)
        if not isinstance(monitor, str):
            raise TypeError(f"monitor must be a log name such as 'val_loss', got {monitor!r}")
        self.monitor = monitor
        for name, value in (("min_delta", min_delta), ("noise", noise)):
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not (math.isfinite(value) and value >= 0)
            ):
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
        self.min_delta, self.noise = float(min_delta), float(noise)
        self.best, self.wait = math.inf, 0

    def _hidden(self) -> list[int]:
        layers = self.model.layers
        return [k for k in range(len(layers) - 1) if isinstance(layers[k], Dense)]

    def on_train_begin(self, logs: dict[str, Any]) -> None:
        if not self._hidden():
            raise ValueError(
                "GrowOnPlateau needs a model with at least one Dense hidden layer to grow "
                "(this one has only its output layer); build it with lw.mlp(n_in, [units], ...)"
            )
        self.best, self.wait = math.inf, 0

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        if self.monitor not in logs:
            raise ValueError(
                f"GrowOnPlateau monitors {self.monitor!r}, which fit does not report "
                f"(available: {', '.join(sorted(logs))}); pass validation_data or "
                "validation_split to fit, or monitor='loss'"
            )
        value = float(logs[self.monitor])
        if value < self.best - self.min_delta:
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
            model.widen(k, units, noise=self.noise)
        elif self.max_layers is None or len(hidden) < self.max_layers:
            k = hidden[-1]
            act = model.layers[k].activation
            if not preserves(act, act):
                act = "relu" if act.nonnegative else "identity"
            model.deepen(k, activation=act)
        else:
            return None
        return model.events[-1]["change"] if len(model.events) > n_events else None
