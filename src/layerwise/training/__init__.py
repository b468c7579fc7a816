"""Training: ``fit`` (a loop over the three steps), ``train_on_batch``, ``History``, the
callbacks (``lw.callbacks``), learning-rate schedules (``lw.schedules``) and metrics.

Inside, one concept per module: ``_fit`` (the loop), ``_settings`` (a call's checked
settings), ``_step`` (step 3 with an optimizer, clipping, ``train_on_batch``), ``_history``,
``_callback`` (the base class), ``_guard`` (the divergence guard), ``_interrupts`` (Ctrl-C),
``_progress`` (the progress bar), ``_threads`` (BLAS threads, opt-in).
"""

from __future__ import annotations

import importlib
from typing import Any

from layerwise.training import metrics, schedules
from layerwise.training._callback import Callback
from layerwise.training._fit import fit
from layerwise.training._guard import DivergenceError
from layerwise.training._history import History
from layerwise.training._interrupts import TrainingInterrupted
from layerwise.training._step import apply_gradients, clip_grad_norm, train_on_batch

__all__ = [
    "Callback",
    "History",
    "DivergenceError",
    "TrainingInterrupted",
    "fit",
    "train_on_batch",
    "apply_gradients",
    "clip_grad_norm",
    "callbacks",
    "metrics",
    "schedules",
]


def __getattr__(name: str) -> Any:
    # the callbacks load on first use: ModelCheckpoint saves files, and the loop never
    # imports what saves it (no import cycle through layerwise.saving)
    if name == "callbacks":
        return importlib.import_module("layerwise.training.callbacks")
    raise AttributeError(f"module 'layerwise.training' has no attribute {name!r}")
