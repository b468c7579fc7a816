"""Rich display in Jupyter: HTML for a model and for a History (see issue 18).

A leaf module: it imports nothing of layerwise (it reads the objects it is given), so the
core can call it without importing anything above itself.
"""

from __future__ import annotations

import html
from typing import Any

__all__ = ["model_html", "history_html"]


def model_html(model: Any) -> str:
    """The model's summary as an HTML block (replaced by a table and a picture in issue 18)."""
    return f"<pre>{html.escape(str(model.summary()))}</pre>"


def history_html(history: Any) -> str:
    """A History as an HTML block (replaced by a loss curve in issue 18)."""
    n = len(history.loss)
    last = f", last loss {history.loss[-1]:.4g}" if n else ""
    return f"<pre>History: {n} epoch(s){html.escape(last)}</pre>"
