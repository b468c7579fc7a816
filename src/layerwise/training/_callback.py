"""The Callback base class, and how fit checks, keys and starts callbacks."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from layerwise.training._history import History


class Callback:
    """Base class of the callbacks (``lw.callbacks``): override the hooks you need.

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


def _start_callbacks(model: Any, cbs: list[Callback], history: History, *, resume: bool) -> None:
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


def _monitored(logs: dict[str, Any], monitor: str, who: str) -> float:
    if monitor not in logs:
        raise ValueError(
            f"{who} monitors {monitor!r}, which fit does not report (available: "
            f"{', '.join(sorted(logs))}); pass validation_data or validation_split to fit, "
            "or monitor='loss'"
        )
    return float(logs[monitor])
