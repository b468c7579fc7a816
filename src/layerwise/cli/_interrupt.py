"""Ctrl-C and SIGTERM in the commands that train: finish the batch, keep the run so far.

While a command trains, the first SIGINT or SIGTERM is deferred: the batch in progress
finishes, ``fit`` stops with the model at that batch's weights and the History of the
epochs completed, and the command saves what it has (marked as interrupted), prints where
it is and the command that resumes it, and exits with 128 + the signal's number (130 for
SIGINT, 143 for SIGTERM), as a shell reports a process ended by that signal. A second
signal raises ``KeyboardInterrupt`` at once; the files are written atomically, so each is
either complete or absent.

The deferral works with any ``fit``: a callback raises :class:`Interrupted` at the end of the
batch. Where ``fit`` defers signals itself (raising ``layerwise.training.TrainingInterrupted``
with ``signum`` and ``history``), that exception is read the same way.
"""

from __future__ import annotations

import contextlib
import shlex
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import layerwise as lw

__all__ = ["Interrupted", "Deferral", "exit_status", "signal_name", "resume_command"]


class Interrupted(KeyboardInterrupt):
    """The run stopped at the end of a batch because of signal ``signum``; ``history``
    holds the epochs completed (None when the signal came before training began)."""

    def __init__(self, signum: int, history: Any = None) -> None:
        super().__init__(signal_name(signum))
        self.signum, self.history = signum, history


def signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def exit_status(signum: int) -> int:
    """128 + the signal's number: 130 for SIGINT, 143 for SIGTERM."""
    return 128 + int(signum)


class _StopAtBatchEnd(lw.callbacks.Callback):
    """Raises :class:`Interrupted` at the end of the first batch after a deferred signal."""

    def __init__(self, deferral: Deferral) -> None:
        self.deferral = deferral

    def on_batch_end(self, batch: int, logs: dict[str, Any]) -> None:
        if self.deferral.signum is not None:
            raise Interrupted(self.deferral.signum, self.history)


class Deferral:
    """The signal handlers of one command (a context manager; no-op off the main thread).

    Inside :meth:`training`, the first SIGINT/SIGTERM is recorded and the callback from
    :meth:`callback` stops ``fit`` at the batch's end; any other signal, and any signal
    outside training, raises :class:`Interrupted` at once.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self, prog: str) -> None:
        self.prog = prog
        self.signum: int | None = None
        self.deferring = False
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> Deferral:
        if threading.current_thread() is threading.main_thread():
            for sig in self.SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()

    def _handle(self, signum: int, frame: Any) -> None:
        if self.deferring and self.signum is None:
            self.signum = signum
            print(
                f"\n{self.prog}: {signal_name(signum)}: finishing the current batch and saving "
                "the run so far (a second Ctrl-C or signal quits at once)",
                file=sys.stderr,
                flush=True,
            )
            return
        raise Interrupted(signum)  # a second signal, or one outside training: at once

    def callback(self) -> lw.callbacks.Callback:
        return _StopAtBatchEnd(self)

    @contextlib.contextmanager
    def training(self) -> Iterator[None]:
        self.deferring = True
        try:
            yield
        finally:
            self.deferring = False

    def stopped(self, exc: KeyboardInterrupt) -> tuple[int, Any] | None:
        """``(signum, history)`` when ``exc`` ended a ``fit`` at a batch's end (the run so far
        can be saved); None when it came at once (a second signal: nothing more is done)."""
        history = getattr(exc, "history", None)
        if history is None:
            return None
        return int(getattr(exc, "signum", None) or self.signum or signal.SIGINT), history


def _without(argv: Sequence[str], options: Sequence[str], flags: Sequence[str] = ()) -> list[str]:
    """``argv`` less each option of ``options`` with its value and each flag of ``flags``."""
    out: list[str] = []
    skip = False
    for token in argv:
        if skip:
            skip = False
            continue
        name = token.split("=", 1)[0]
        if name in options:
            skip = "=" not in token
            continue
        if token in flags:
            continue
        out.append(token)
    return out


def resume_command(
    argv: Sequence[str],
    *,
    drop: Sequence[str] = (),
    drop_flags: Sequence[str] = (),
    add: Sequence[str] = (),
) -> str:
    """The ``layerwise`` command line ``argv`` without the options ``drop`` (and their
    values) and ``drop_flags``, followed by ``add``, quoted for a POSIX shell."""
    return "layerwise " + shlex.join([*_without(argv, drop, drop_flags), *add])
