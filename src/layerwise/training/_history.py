"""History: what fit recorded, one value per epoch, and its CSV."""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from typing import Any

from layerwise._internal.files import atomic_write


@dataclass
class History:
    """What ``fit`` recorded, one value per epoch.

    Attributes
    ----------
    epoch : list of int
        Epoch numbers, counted from 1 over the model's life (a second ``fit`` continues).
    loss : list of float
        Training loss of each epoch (mean over its batches, before each update).
    val_loss : list of float
        Validation loss after each epoch (empty without validation data).
    metrics : dict of str to list of float
        ``"accuracy"``/``"val_accuracy"`` for classifiers, ``"r2"``, ``"mae"`` (and
        ``val_`` forms) for regressors.
    lr : list of float
        Learning rate used in each epoch.
    events : list of dict
        Changes of the network during this run, and those made between the previous
        ``fit`` and this one: ``{"epoch": int, "change": str}``, the change coming after
        that epoch.
    params : dict
        The settings of the run (loss, optimizer, lr, batch size, ...).
    """

    epoch: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    metrics: dict[str, list[float]] = field(default_factory=dict)
    lr: list[float] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.loss)

    def _repr_html_(self) -> str:
        from layerwise._internal import (
            display as _display,  # a leaf module: imports nothing of layerwise
        )

        return _display.history_html(self)

    def columns(self) -> dict[str, list[Any]]:
        """Every per-epoch series by column name, in CSV order."""
        cols: dict[str, list[Any]] = {"epoch": self.epoch, "loss": self.loss}
        if self.val_loss:
            cols["val_loss"] = self.val_loss
        cols.update(self.metrics)
        if self.lr:
            cols["lr"] = self.lr
        return cols

    def to_csv(self, path: str | os.PathLike[str] | None = None) -> str:
        """Write one row per epoch (atomically) to ``path``; return the CSV text."""
        cols = self.columns()
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(cols)
        for row in zip(*cols.values()):
            writer.writerow([repr(v) if isinstance(v, float) else v for v in row])
        text = buf.getvalue()
        if path is not None:
            with atomic_write(path, newline="") as f:
                f.write(text)
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "epoch": self.epoch,
            "loss": self.loss,
            "val_loss": self.val_loss,
            "metrics": self.metrics,
            "lr": self.lr,
            "events": self.events,
            "params": self.params,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> History:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})
