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

from typing import Any

__all__ = ["Callback", "LambdaCallback"]


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
