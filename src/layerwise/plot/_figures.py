"""The figure plumbing every picture shares: the backend choice, new axes, atomic
writing, :func:`subplots` and :func:`close`."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from layerwise._internal.files import atomic_write

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure

_POSITIVE, _NEGATIVE = "#1f77b4", "#d62728"


def _pyplot() -> ModuleType:
    """Import pyplot, choosing Agg only when nothing else was chosen and there is no display."""
    import matplotlib

    headless = sys.platform not in ("darwin", "win32") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )
    if headless and "matplotlib.pyplot" not in sys.modules and not os.environ.get("MPLBACKEND"):
        chosen = getattr(matplotlib.rcParams, "_get_backend_or_none", lambda: None)()
        if chosen is None:
            matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig: Figure, path: str | os.PathLike[str], *, dpi: int = 100) -> Path:
    """Write ``fig`` to ``path`` atomically (format from the suffix, PNG by default).

    Parameters
    ----------
    fig : Figure
    path : str or path-like
    dpi : int, default 100

    Returns
    -------
    Path
        The path written.
    """
    path = Path(path)
    suffix = path.suffix.lower().lstrip(".")
    fmt = suffix if suffix in ("png", "svg", "pdf") else "png"
    with atomic_write(path, "wb") as f:
        fig.savefig(f, format=fmt, dpi=dpi)
    return path


def _new_axes(
    ax: Axes | None, figsize: tuple[float, float]
) -> tuple[Figure | SubFigure, Axes, bool]:
    if ax is not None:
        return ax.figure, ax, False
    fig, ax = _pyplot().subplots(figsize=figsize, layout="constrained")
    return fig, ax, True


def _finish(
    fig: Figure | SubFigure, path: str | os.PathLike[str] | None, created: bool
) -> Figure | SubFigure:
    if path is not None:
        save_figure(fig.figure, path)  # the whole figure: a SubFigure has no file of its own
        if created:
            _pyplot().close(fig)
    return fig


def subplots(
    nrows: int = 1, ncols: int = 1, *, figsize: tuple[float, float] | None = None
) -> tuple[Figure, Any]:
    """A new figure and its axes (constrained layout), with the backend chosen as above.

    Parameters
    ----------
    nrows, ncols : int, default 1
    figsize : (float, float), optional
        Inches; default 5.5 x 4.5 per panel.

    Returns
    -------
    fig : Figure
    axes : Axes or ndarray of Axes
        One Axes for 1x1, else an array shaped (ncols,), (nrows,) or (nrows, ncols).
    """
    size = figsize or (5.5 * ncols, 4.5 * nrows)
    return _pyplot().subplots(nrows, ncols, figsize=size, layout="constrained")


def close(fig: Figure) -> None:
    """Release a figure made with :func:`subplots` (pyplot keeps figures until closed)."""
    _pyplot().close(fig)
