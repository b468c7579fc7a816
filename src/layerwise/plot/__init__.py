"""Figures: loss curves, the seed's learning-rate comparison, decision boundaries, networks.

Every function takes ``ax=`` (draw into a given matplotlib Axes) and ``path=`` (also write
the picture there, atomically; PNG unless the suffix says ``.svg`` or ``.pdf``) and returns
the :class:`matplotlib.figure.Figure` (the SubFigure holding ``ax`` when ``ax`` is in one;
``path`` then gets the whole figure). A figure made only to be written to ``path`` is
closed after writing, so loops that write many pictures do not leak memory.

matplotlib is imported inside the functions: ``import layerwise`` never loads it. Without a
display (no ``DISPLAY`` on Linux) and with no backend chosen, the Agg backend is used.

>>> import layerwise as lw
>>> X, y = lw.datasets.load("moons", n_samples=50, seed=0)
>>> model = lw.mlp(2, [4], 1, activation="tanh", output_activation="sigmoid", seed=0)
>>> history = model.fit(X, y, loss="bce", lr=0.1, epochs=5, verbose=False)
>>> fig = lw.plot.loss_curves(history)
"""

from __future__ import annotations

from layerwise.plot._architecture import architecture
from layerwise.plot._boundary import decision_boundary
from layerwise.plot._curves import (
    accuracy_curves,
    learning_rate_comparison,
    loss_curves,
    loss_panels,
)
from layerwise.plot._figures import close, save_figure, subplots

__all__ = [
    "accuracy_curves",
    "architecture",
    "decision_boundary",
    "learning_rate_comparison",
    "close",
    "loss_curves",
    "loss_panels",
    "save_figure",
    "subplots",
]
