"""Ctrl-C held to the end of a batch, then TrainingInterrupted with a consistent model."""

from __future__ import annotations

import signal
import threading
from typing import Any

from layerwise.training._history import History


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


def _interrupted(model: Any, signum: int, history: History, batch: int) -> None:
    done = model.state.epochs_trained
    raise TrainingInterrupted(
        f"training interrupted by {signal.Signals(signum).name} after epoch {done} and "
        f"{batch + 1} batch(es) of the next: the model keeps the weights of the last "
        "completed batch; call fit again to continue",
        signum=signum,
        epoch=done,
        history=history,
    )
