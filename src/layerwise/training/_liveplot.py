"""LivePlot: the loss curves drawn as training runs (an SVG in a notebook, a file
elsewhere)."""

from __future__ import annotations

import os
from typing import Any

from layerwise._internal.validation import NON_NEGATIVE, PATH, Boolean, set_params
from layerwise.training._callback import Callback  # the base class lives with the loop


class LivePlot(Callback):
    """Redraw the loss curves in place while ``fit`` runs, in a Jupyter notebook.

    In a notebook (an IPython kernel), the first redraw shows a picture of the training
    loss per epoch (and the validation loss, and a dotted line at each change of the
    network from ``model.events``) and every later one replaces that picture in place
    (one display handle). Drawing is throttled: a redraw waits at least ``every`` seconds
    of wall time since the previous one, and at least 19 times as long as the previous
    redraw took, so that drawing costs at most about 5% of the training time; the last
    epoch is always drawn, when training ends.

    The picture is an SVG drawn without matplotlib (see ``layerwise._internal.display.curves_svg``):
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

    _parameter_constraints = {
        "every": [NON_NEGATIVE],
        "path": [PATH, None],
        "logy": [Boolean(), None],
    }  # seconds between redraws; an .svg file; a log axis (None: when the loss spans 10x)
    every: float  # the parameters, set by set_params
    path: str | os.PathLike[str] | None
    logy: bool | None

    def __init__(
        self,
        *,
        every: float = 1.0,
        path: str | os.PathLike[str] | None = None,
        logy: bool | None = None,
    ) -> None:
        set_params(self, every=every, path=path, logy=logy)
        if path is not None and not os.fspath(path).lower().endswith(".svg"):
            raise ValueError(f"path must name an .svg file (the picture is SVG), got {path!r}")
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
            from layerwise._internal.files import atomic_write

            with atomic_write(self.path, "w", encoding="utf-8") as f:
                f.write(svg if svg is not None else self._svg())

    def _svg(self) -> str:
        from layerwise._internal import display as _display

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
