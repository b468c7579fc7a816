"""BLAS threads for a training run, chosen by measurement (see issue 17).

The interface the training loop relies on (keep it)::

    chooser = ThreadChooser(threads)      # threads: None (choose by measurement) or int >= 1
    with chooser:                         # limits applied inside, the user's restored after
        for each batch:
            chooser.before_batch()        # may switch the thread count
            ... forward, backward, step ...
            chooser.after_batch()         # times the batch
    chooser.describe()                    # {"threads", "reason"}: for History.params

This first version applies nothing: it keeps whatever BLAS does outside fit.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ThreadChooser"]


class ThreadChooser:
    """Choose and apply the BLAS thread count around a training loop.

    Parameters
    ----------
    threads : int or None
        None: chosen by measurement; an int: exactly that many threads.
    """

    def __init__(self, threads: int | None = None) -> None:
        self.requested = threads
        self.threads: int | None = threads
        self.reason = "not managed" if threads is None else "set by the caller"

    def __enter__(self) -> ThreadChooser:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def before_batch(self) -> None:
        """Called before each batch step; may change the thread count."""

    def after_batch(self) -> None:
        """Called after each batch step; records its time."""

    def describe(self) -> dict[str, Any]:
        """The choice and why, for ``History.params``."""
        return {"threads": self.threads, "reason": self.reason}
