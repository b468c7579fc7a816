"""Rich display in Jupyter: HTML for a model and for a History.

``Sequential._repr_html_`` shows the summary as a table beside a picture of the network
(one circle per neuron, one line per weight); ``History._repr_html_`` shows the loss curve.
Both pictures are inline SVG drawn here by hand: no matplotlib, and a redraw costs
milliseconds (``callbacks.LivePlot`` redraws during training).

A leaf module: it imports nothing of layerwise (it reads the objects it is given through
their public attributes), so the core can call it without importing anything above
itself; it imports nothing heavy.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

__all__ = ["model_html", "history_html", "architecture_svg", "curves_svg", "summary_rows"]

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
    wider than 8 neurons shows its first and last four, labelled ``N (8 shown)``.
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
    pad, r = 22, 6
    gap = min(90.0, 720 / max(len(widths) - 1, 1))  # a deep network stays under ~760 px
    width = round(pad * 2 + gap * (len(widths) - 1))

    def ys(n: int) -> list[float]:
        shown = _shown(n)
        step = (height - 2 * pad - 14) / max(len(shown) - 1, 1)
        mid = (height - 14) / 2
        return [mid + (k - (len(shown) - 1) / 2) * step for k in range(len(shown))]

    parts = []
    for c, layer in enumerate(_dense(model)):
        x0, x1 = round(pad + gap * c, 1), round(pad + gap * (c + 1), 1)
        W: Any = getattr(layer, "W", None)  # an array of any library, or None
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
        x = round(pad + gap * c, 1)
        for y in ys(n):
            parts.append(
                f'<circle cx="{x}" cy="{y:.1f}" r="{r}" fill="#fff" stroke="#333" '
                'stroke-width="1.2"/>'
            )
        label = f"{n}" if n <= _MAX_NEURONS else f"{n} ({_MAX_NEURONS} shown)"
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
        "<table style='width:auto'>"
        f"<caption style='text-align:left;white-space:nowrap'><b>{title}</b></caption>"
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
    picture = f"<div style='flex:none'>{svg}</div>" if svg else ""
    return (  # side by side where there is room, else the picture below the table
        "<div class='layerwise-model' "
        "style='display:flex;flex-wrap:wrap;align-items:flex-start;gap:1.5em'>"
        f"<div>{_table(str(model.summary()))}</div>{picture}</div>"
    )


def _nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round numbers between lo and hi, about ``count`` of them."""
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / count
    step = 10 ** math.floor(math.log10(raw))
    step *= next(m for m in (1, 2, 2.5, 5, 10) if m * step >= raw)
    first = math.ceil(lo / step) * step
    return [first + k * step for k in range(int((hi - first) / step + 1e-9) + 1)]


def _fmt(value: float) -> str:
    return f"{value:.3g}"


def curves_svg(
    loss: Sequence[float],
    val_loss: Sequence[float] = (),
    marks: Sequence[float] = (),
    *,
    epochs: Sequence[float] | None = None,
    logy: bool | None = None,
    width: int = 480,
    height: int = 280,
) -> str:
    """The loss (and validation loss) per epoch as an inline SVG, with dotted marks.

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
    width, height : int
        Size in pixels.

    Returns
    -------
    str
        An ``<svg>`` element: one ``<polyline>`` per curve and unbroken stretch of finite
        values, at most ~600 points each (longer curves are sampled).
    """
    xs = list(epochs) if epochs is not None else list(range(1, len(loss) + 1))
    curves = [("loss", list(loss), "#1f77b4", "")]
    if len(val_loss) == len(loss) and len(loss):
        curves.append(("val_loss", list(val_loss), "#ff7f0e", "5,3"))
    finite = [v for _, ys, _, _ in curves for v in ys if math.isfinite(v)]
    if logy is None:
        logy = bool(finite) and min(finite) > 0 and max(finite) / min(finite) > 50
    if logy:
        finite = [v for v in finite if v > 0]
    tf = (lambda v: math.log10(v)) if logy else (lambda v: v)  # noqa: E731
    lo, hi = (tf(min(finite)), tf(max(finite))) if finite else (0.0, 1.0)
    pad = (hi - lo) * 0.05 or 0.5
    lo, hi = lo - pad, hi + pad
    x0, x1 = (xs[0], xs[-1]) if xs else (0, 1)
    x1 = x1 if x1 > x0 else x0 + 1
    left, right, top, bottom = 56, width - 16, 12, height - 36

    def px(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * (right - left)

    def py(v: float) -> float:
        return bottom - (tf(v) - lo) / (hi - lo) * (bottom - top)

    font = 'font-family="sans-serif" font-size="11"'
    parts = [f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" '
             'fill="none" stroke="#888"/>']  # fmt: skip
    yticks = [10.0**e for e in range(math.ceil(lo), math.floor(hi) + 1)] if logy else []
    if len(yticks) < 2:
        yticks = [(10**t if logy else t) for t in _nice_ticks(lo, hi)]
    for v in yticks:
        y = py(v)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="#eee"/>'
                     f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" {font}>'
                     f"{_fmt(v)}</text>")  # fmt: skip
    for x in _nice_ticks(x0, x1):
        parts.append(f'<text x="{px(x):.1f}" y="{bottom + 14}" text-anchor="middle" {font}>'
                     f"{x:.7g}</text>")  # fmt: skip
    for x in marks:
        if x0 <= x <= x1:
            parts.append(f'<line x1="{px(x):.1f}" y1="{top}" x2="{px(x):.1f}" y2="{bottom}" '
                         'stroke="#666" stroke-dasharray="1,3"/>')  # fmt: skip
    step = max(1, math.ceil(len(xs) / 600))
    keep = sorted(set(range(0, len(xs), step)) | ({len(xs) - 1} if xs else set()))
    for k, (name, ys, colour, dash) in enumerate(curves):
        runs: list[list[str]] = [[]]
        for i in keep:
            ok = math.isfinite(ys[i]) and (ys[i] > 0 or not logy)
            if ok:
                runs[-1].append(f"{px(xs[i]):.1f},{py(ys[i]):.1f}")
            elif runs[-1]:
                runs.append([])
        for run in runs:
            if run:
                parts.append(f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" '
                             f'stroke-width="1.6" stroke-dasharray="{dash}"/>')  # fmt: skip
        y = top + 14 + 14 * k
        parts.append(f'<line x1="{right - 90}" y1="{y - 4}" x2="{right - 70}" y2="{y - 4}" '
                     f'stroke="{colour}" stroke-width="1.6" stroke-dasharray="{dash}"/>'
                     f'<text x="{right - 66}" y="{y}" {font}>{name}</text>')  # fmt: skip
    parts.append(f'<text x="{(left + right) / 2}" y="{height - 6}" text-anchor="middle" '
                 f'{font}>epoch</text>')  # fmt: skip
    scale = ", log scale" if logy else ""
    parts.append(f'<text x="12" y="{(top + bottom) / 2}" text-anchor="middle" {font} '
                 f'transform="rotate(-90 12 {(top + bottom) / 2})">loss{scale}</text>')  # fmt: skip
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="loss per epoch">'
            + "".join(parts) + "</svg>")  # fmt: skip


def history_html(history: Any) -> str:
    """A History as HTML: a line of numbers and the loss curve.

    Parameters
    ----------
    history : History
        Read through ``.loss``, ``.val_loss`` and ``.events``.

    Returns
    -------
    str
        A ``<div>`` with the epoch count, the last losses and, from one epoch on, an SVG
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
        picture = "<br>" + curves_svg(history.loss, history.val_loss, marks)
    return f"<div class='layerwise-history'><code>{html.escape(text)}</code>{picture}</div>"
