"""Rich display in Jupyter: HTML for a model and for a History.

``Sequential._repr_html_`` shows the summary as a table beside a picture of the network
(an inline SVG drawn here, one circle per neuron, one line per weight); ``History._repr_html_``
shows the loss curve (a PNG drawn with matplotlib, embedded as base64).

A leaf module: it imports nothing of layerwise (it reads the objects it is given through
their public attributes), so the core can call it without importing anything above
itself, and it imports matplotlib only inside :func:`history_html`.
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Sequence
from typing import Any

__all__ = ["model_html", "history_html", "architecture_svg", "curves_png", "summary_rows"]

_MAX_NEURONS = 8  # a wider layer shows its first and last neurons and "+N"


def summary_rows(text: str) -> tuple[list[str], list[list[str]], str] | None:
    """Split the text of ``Sequential.summary()`` into header, rows and the closing line.

    Parameters
    ----------
    text : str
        A title line, a rule, a header, a rule, one line per layer, a rule and a total.

    Returns
    -------
    (header, rows, total) or None
        ``header`` the column names, ``rows`` one list of cells per layer, ``total`` the
        last line; None when the text does not have that shape.
    """
    lines = text.splitlines()
    rules = [k for k, line in enumerate(lines) if line and set(line) == {"-"}]
    if len(rules) != 3 or rules[1] != rules[0] + 2:
        return None
    head = lines[rules[0] + 1]
    # columns are left-justified and joined by two spaces: a column starts where its name does
    starts = [k for k, ch in enumerate(head) if ch != " " and (k == 0 or head[k - 1] == " ")]
    bounds = list(zip(starts, starts[1:] + [None]))

    def cut(line: str) -> list[str]:
        return [line[a:b].strip() for a, b in bounds]

    rows = [cut(line) for line in lines[rules[1] + 1 : rules[2]]]
    return cut(head), rows, "\n".join(lines[rules[2] + 1 :]).strip()


def _dense(model: Any) -> list[Any]:
    """The layers with weights (Dropout, BatchNorm... keep the width: no column of their own)."""
    return [layer for layer in model.layers if hasattr(layer, "W")]


def _widths(model: Any) -> list[int] | None:
    """Input width then each weight layer's width, or None when they are not all known."""
    widths = [model.input_dim] + [getattr(layer, "units", None) for layer in _dense(model)]
    if any(not isinstance(w, int) or w <= 0 for w in widths):
        return None
    return widths


def _shown(n: int) -> list[int]:
    if n <= _MAX_NEURONS:
        return list(range(n))
    half = _MAX_NEURONS // 2
    return list(range(half)) + list(range(n - half, n))


def architecture_svg(model: Any, *, height: int = 220) -> str:
    """The network as an inline SVG: columns of neurons joined by their weights.

    Line opacity grows with ``|W[i, j]|`` (relative to the layer's largest weight); colour
    gives the sign (blue positive, red negative); an unbuilt layer is drawn in grey. A layer
    wider than 8 neurons shows its first and last four and a ``+N`` for those left out.
    Layers without weights (Dropout, BatchNorm) get no column of their own.

    Parameters
    ----------
    model : Sequential
        Read through ``model.input_dim`` and ``model.layers[i].units`` / ``.W``.
    height : int, default 220
        Height of the picture in pixels; the width follows the number of layers.

    Returns
    -------
    str
        An ``<svg>`` element, or an empty string when the widths are not known yet.
    """
    widths = _widths(model)
    if widths is None:
        return ""
    gap, pad, r = 90, 22, 6
    width = pad * 2 + gap * (len(widths) - 1)

    def ys(n: int) -> list[float]:
        shown = _shown(n)
        step = (height - 2 * pad - 14) / max(len(shown) - 1, 1)
        mid = (height - 14) / 2
        return [mid + (k - (len(shown) - 1) / 2) * step for k in range(len(shown))]

    parts = []
    for c, layer in enumerate(_dense(model)):
        x0, x1 = pad + gap * c, pad + gap * (c + 1)
        W = getattr(layer, "W", None)
        rows, cols = _shown(widths[c]), _shown(widths[c + 1])
        ok = W is not None and getattr(W, "shape", None) == (widths[c], widths[c + 1])
        big = float(abs(W).max()) if ok and W.size else 0.0
        for a, ya in zip(rows, ys(widths[c])):
            for b, yb in zip(cols, ys(widths[c + 1])):
                colour, alpha = "#999", 0.35
                if ok and big > 0 and math.isfinite(big):
                    w = float(W[a, b])
                    colour = "#2166ac" if w >= 0 else "#b2182b"
                    alpha = 0.1 + 0.8 * min(abs(w) / big, 1.0)
                parts.append(
                    f'<line x1="{x0}" y1="{ya:.1f}" x2="{x1}" y2="{yb:.1f}" '
                    f'stroke="{colour}" stroke-opacity="{alpha:.2f}" stroke-width="1.5"/>'
                )
    for c, n in enumerate(widths):
        x = pad + gap * c
        for y in ys(n):
            parts.append(
                f'<circle cx="{x}" cy="{y:.1f}" r="{r}" fill="#fff" stroke="#333" '
                'stroke-width="1.2"/>'
            )
        label = f"{n}" if n <= _MAX_NEURONS else f"{n} (+{n - _MAX_NEURONS})"
        parts.append(
            f'<text x="{x}" y="{height - 4}" font-size="11" text-anchor="middle" '
            f'font-family="sans-serif">{html.escape(label)}</text>'
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="network architecture">'
        + "".join(parts)
        + "</svg>"
    )


def _table(text: str) -> str:
    parsed = summary_rows(text)
    if parsed is None:
        return f"<pre>{html.escape(text)}</pre>"
    header, rows, total = parsed
    title = html.escape(text.splitlines()[0])
    pad = "padding:2px 10px 2px 0;text-align:left"
    th = "".join(f"<th style='{pad}'>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td style='{pad}'>{html.escape(cell)}</td>" for cell in row) + "</tr>"
        for row in rows
    )
    return (
        f"<table><caption style='text-align:left;white-space:nowrap'><b>{title}</b></caption>"
        f"<thead><tr>{th}</tr></thead><tbody>{body}</tbody>"
        f"<tfoot><tr><td colspan='{len(header)}'>{html.escape(total)}</td></tr></tfoot></table>"
    )


def model_html(model: Any) -> str:
    """The model as HTML: its summary as a table, beside a picture of the network.

    Parameters
    ----------
    model : Sequential

    Returns
    -------
    str
        A ``<div>`` holding the table and, once the widths are known, an inline SVG.
    """
    svg = architecture_svg(model)
    picture = f"<div style='margin-left:1.5em'>{svg}</div>" if svg else ""
    return (
        "<div class='layerwise-model' style='display:flex;align-items:flex-start'>"
        f"<div>{_table(str(model.summary()))}</div>{picture}</div>"
    )


def curves_png(
    loss: Sequence[float],
    val_loss: Sequence[float] = (),
    marks: Sequence[float] = (),
    *,
    epochs: Sequence[float] | None = None,
    logy: bool | None = None,
) -> bytes:
    """The loss (and validation loss) per epoch as PNG bytes, with dotted marks.

    Parameters
    ----------
    loss : sequence of float, length n_epochs
    val_loss : sequence of float, length n_epochs or 0
    marks : sequence of float
        Epochs where the network changed (``model.events``), drawn as dotted lines.
    epochs : sequence of float, length n_epochs, optional
        The x values (default 1, 2, ..., n_epochs).
    logy : bool or None, default None
        Logarithmic y axis; None: when the finite positive losses span more than 50x.

    Returns
    -------
    bytes
        A 480 x 280 PNG.
    """
    from matplotlib.figure import Figure  # no pyplot: nothing global, nothing to close

    fig = Figure(figsize=(4.8, 2.8), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    x = list(epochs) if epochs is not None else list(range(1, len(loss) + 1))
    ax.plot(x, loss, label="loss")
    if len(val_loss) == len(loss) and len(loss):
        ax.plot(x, val_loss, "--", label="val_loss")
    for epoch in marks:
        ax.axvline(epoch, color="0.5", linewidth=0.9, linestyle=":")
    if logy is None:
        finite = [v for v in [*loss, *val_loss] if math.isfinite(v)]
        logy = bool(finite) and min(finite) > 0 and max(finite) / min(finite) > 50
    if logy:
        ax.set_yscale("log")  # a loss falling over decades reads better on a log axis
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.legend(frameon=False)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def history_html(history: Any) -> str:
    """A History as HTML: a line of numbers and the loss curve.

    Parameters
    ----------
    history : History
        Read through ``.loss``, ``.val_loss`` and ``.events``.

    Returns
    -------
    str
        A ``<div>`` with the epoch count, the last losses and, from one epoch on, a PNG
        of the curves (dotted lines where the network changed, from ``events``).
    """
    n = len(history.loss)
    text = f"History: {n} epoch(s)"
    if n:
        text += f", last loss {history.loss[-1]:.4g}"
    if len(history.val_loss):
        text += f", last val_loss {history.val_loss[-1]:.4g}"
    picture = ""
    if n:
        marks = [e["epoch"] for e in getattr(history, "events", []) if "epoch" in e]
        png = curves_png(history.loss, history.val_loss, marks)
        src = f"data:image/png;base64,{base64.b64encode(png).decode('ascii')}"
        picture = f"<br><img src='{src}' alt='loss per epoch'>"
    return f"<div class='layerwise-history'><code>{html.escape(text)}</code>{picture}</div>"
