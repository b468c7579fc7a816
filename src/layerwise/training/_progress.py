"""The progress bar of a run."""

from __future__ import annotations

import os
import sys
import time
from typing import Any


def _interactive() -> bool:
    """Where ``verbose="auto"`` draws a bar: a terminal, or a Jupyter kernel (its stderr is
    no terminal, but tqdm.auto draws a notebook widget there)."""
    return sys.stderr.isatty() or "ipykernel" in sys.modules


class _Progress:
    """The progress bar (tqdm) of a run, redrawn at most five times a second.

    It fits its line: on a terminal it follows the terminal's width; on another stream, the
    width tqdm is given (``TQDM_NCOLS``) or else ``COLUMNS``. Numbers have 4 significant
    digits, and the postfix keeps loss and val_loss first, then as many metrics as leave the
    bar at least 10 columns; with no known width (a notebook, a log file) everything is shown.
    """

    _FORMAT = "{n_fmt}/{total_fmt} |{bar}| {elapsed}<{remaining}{postfix}"
    _SHORT = {"accuracy": "acc", "val_accuracy": "val_acc"}

    def __init__(self, show: bool, total: int) -> None:
        self.bar: Any = None  # a tqdm bar (an untyped library) when shown, else None
        self.last_draw = 0.0
        if show:
            from tqdm.auto import tqdm

            width: dict[str, Any] = {}
            if all(c.__module__ != "tqdm.notebook" for c in tqdm.__mro__):  # a widget: no
                if getattr(sys.stderr, "isatty", lambda: False)():
                    width["dynamic_ncols"] = True
                elif os.environ.get("COLUMNS", "").isdigit() and "TQDM_NCOLS" not in os.environ:
                    width["ncols"] = int(os.environ["COLUMNS"]) or None
            self.bar = tqdm(
                total=total,
                unit="epoch",
                leave=True,
                file=sys.stderr,
                bar_format=self._FORMAT,
                **width,
            )

    def update(self, logs: dict[str, Any]) -> None:
        if self.bar is None:
            return
        self.bar.update(1)
        now = time.monotonic()
        if now - self.last_draw > 0.2 or self.bar.n == self.bar.total:  # the last one shows
            self.last_draw = now
            self.bar.set_postfix_str(self._postfix(logs), refresh=False)

    def _postfix(self, logs: dict[str, Any]) -> str:
        order = ["loss", "val_loss", *(k for k in logs if k not in ("loss", "val_loss", "lr"))]
        items = [f"{self._SHORT.get(k, k)}={logs[k]:.4g}" for k in order if k in logs]
        state = self.bar.format_dict  # also reads a terminal's width now
        width = state["ncols"]
        text = ""
        for item in items:
            longer = f"{text} {item}" if text else item
            # without ncols tqdm draws a 10-column bar: the line's length with the shortest bar
            line = self.bar.format_meter(**{**state, "ncols": None, "postfix": longer})
            if width and len(line) > width:
                break
            text = longer
        return text

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
