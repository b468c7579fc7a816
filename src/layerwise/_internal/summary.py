"""The text table of ``Sequential.summary()``.

A leaf module: it imports nothing of layerwise (it reads the model through its public
attributes), so the core calls it without importing anything above itself.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Table", "summary"]


class Table(str):
    """A string that shows itself as a table (not as a quoted repr) in a REPL."""

    def __repr__(self) -> str:
        return str(self)


def summary(model: Any) -> Table:
    """A table of ``model``'s layers: index, type, units, activation, parameters."""
    rows = [("#", "layer", "units", "activation", "params", "")]
    for i, layer in enumerate(model.layers):
        n = f"{layer.n_params():,}" if layer.built else "?"
        rows.append(
            (
                str(i),
                layer.name or type(layer).__name__,
                str(layer.units),
                layer.describe(),
                n,
                "" if layer.trainable else "frozen",
            )  # fmt: skip
        )
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
    rule = "-" * max(len(line) for line in lines)
    inp = model.input_dim if model.input_dim is not None else "?"
    total = f"{model.n_params():,}" if model.built else "?"
    return Table(
        "\n".join(
            [f"Sequential (input_dim={inp}, dtype={model.dtype.name})", rule, lines[0], rule]
            + lines[1:]
            + [rule, f"total parameters: {total}"]
        )
    )
