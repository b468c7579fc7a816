"""The network of a command: its options (layout, activations, loss), the output and
targets they imply, and the network built, after a size check, or loaded from a file."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast, overload

import numpy as np

import layerwise as lw
from layerwise import targets
from layerwise._internal.validation import check_allocation
from layerwise.cli._common import DEFAULTS, CLIError, _choice, _hidden_text

_OUTPUT_FOR_LOSS = {loss: act for act, loss in targets.TASKS.values()}


def _hidden(text: str) -> list[int]:
    """``"16,8"`` -> [16, 8]; ``""``, ``"0"`` or ``"none"`` -> [] (no hidden layer)."""
    if text.strip().lower() in ("", "0", "none"):
        return []
    try:
        widths = [int(part) for part in text.split(",")]
    except ValueError:
        widths = []
    if not widths or any(w <= 0 for w in widths):
        raise argparse.ArgumentTypeError(
            f"--hidden must be comma-separated positive integers such as 16,8, got {text!r}"
        )
    return widths


class _Widths(argparse.Action):
    """``--hidden 16 8`` and ``--hidden 16,8`` (and ``16,8 4``) give one layout [16, 8(, 4)]."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        """Join the layouts given (``nargs="+"`` of :func:`_hidden`) into one."""
        layouts = cast("list[list[int]]", values)  # nargs="+", type=_hidden: always this
        if len(layouts) > 1 and any(not v for v in layouts):
            parser.error("--hidden: 'none' (no hidden layer) goes alone")
        setattr(namespace, self.dest, [w for v in layouts for w in v])


def _activation(text: str) -> str:
    """An argparse type: the name of an activation (:func:`layerwise.activations.get`)."""
    try:
        lw.activations.get(text)
    except (ValueError, TypeError) as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _add_model_arguments(p: argparse.ArgumentParser, *, several: bool = False) -> None:
    """--hidden (one layout, or ``several``), --activation, --output-activation, --loss and
    --dtype."""
    default = _hidden_text(DEFAULTS["hidden"])
    if several:
        p.add_argument(
            "--hidden",
            type=_hidden,
            nargs="+",
            default=[DEFAULTS["hidden"]],
            metavar="W[,W...]",
            help=f"one or more layouts, e.g. --hidden 4 16,8 none (default {default})",
        )
    else:
        p.add_argument(
            "--hidden",
            type=_hidden,
            nargs="+",
            action=_Widths,
            default=DEFAULTS["hidden"],
            metavar="W[,W...]",
            help=f"hidden layer widths, '16,8' or '16 8' (default {default}; "
            "'none' or 0: no hidden layer)",
        )
    p.add_argument(
        "--activation",
        type=_activation,
        default=DEFAULTS["activation"],
        help=f"activation of the hidden layers (default {DEFAULTS['activation']})",
    )
    p.add_argument(
        "--output-activation",
        type=_activation,
        help="default: from the task (sigmoid, softmax or identity)",
    )
    p.add_argument(
        "--loss",
        type=_choice(["mse", "bce", "cce"], "--loss"),
        help="default: from the task (bce, cce or mse)",
    )
    p.add_argument(
        "--dtype",
        type=_choice(["float32", "float64"], "--dtype"),
        default="float32",
        help="float32 (default) or float64",
    )


def _resolve_output(args: argparse.Namespace, task: str) -> None:
    """Fill in --output-activation and --loss from each other or from the task."""
    out, loss = targets.output_for(task)
    if args.loss is None:
        args.loss = (
            targets.loss_for_output(args.output_activation)
            if (args.output_activation is not None)
            else loss
        )
    if args.output_activation is None:
        args.output_activation = _OUTPUT_FOR_LOSS[args.loss] if args.loss != loss else out


def _output_dim(args: argparse.Namespace, data: dict[str, Any]) -> int:
    """Output units: one per class for cce (and bce on several classes), else one."""
    if args.loss == "cce" or (args.loss == "bce" and data["task"] == "multiclass"):
        if data["task"] == "regression":
            raise CLIError(
                f"--loss {args.loss} needs class labels; {args.data} is a regression set"
            )
        return data["n_classes"]
    return 1


@overload
def _targets(y: np.ndarray, args: argparse.Namespace, out_dim: int) -> np.ndarray: ...
@overload
def _targets(y: None, args: argparse.Namespace, out_dim: int) -> None: ...
def _targets(y: np.ndarray | None, args: argparse.Namespace, out_dim: int) -> np.ndarray | None:
    """``y`` as the loss wants it: one-hot for bce on several outputs, else as it is."""
    if y is not None and args.loss == "bce" and out_dim > 1:
        return lw.datasets.one_hot(y, out_dim)
    return y


def _check_size(args: argparse.Namespace, n_rows: int, n_features: int, out_dim: int) -> None:
    """Refuse, before building it, a network whose training would not fit in memory."""
    widths = [n_features, *args.hidden, out_dim]
    n_params = sum((a + 1) * b for a, b in zip(widths[:-1], widths[1:]))
    rows = min(n_rows, getattr(args, "batch_size", None) or n_rows)
    # weights, gradients and two optimizer moments; Z, A and dA of every layer per batch row
    check_allocation(
        4 * n_params + 3 * rows * sum(widths[1:]),
        args.dtype,
        f"a network of hidden widths {_hidden_text(args.hidden)} on {rows:,} rows per batch",
    )


def _build_model(
    args: argparse.Namespace, n_features: int, out_dim: int, *, n_rows: int = 1
) -> lw.Sequential:
    """The network of ``args`` (hidden, activation, l2, dropout), after :func:`_check_size`
    for ``n_rows`` training rows."""
    _check_size(args, n_rows, n_features, out_dim)
    model = lw.mlp(
        n_features,
        args.hidden,
        out_dim,
        activation=args.activation,
        output_activation=args.output_activation,
        seed=args.seed,
        dtype=args.dtype,
    )
    for layer in cast("list[lw.Dense]", model.layers):  # mlp's: Dense layers only
        layer.l2 = float(getattr(args, "l2", 0.0))
    if getattr(args, "dropout", 0.0):
        for i in range(len(model.layers) - 1, 0, -1):  # after each hidden layer
            model.insert(i, lw.Dropout(args.dropout))
    return model


def _load_network(path: str | Path) -> lw.Sequential:
    """``lw.load(path)``, refusing files that hold something other than a network (a saved
    scikit-learn estimator or pipeline) with a one-line reason instead of a traceback."""
    model = lw.load(path)
    if not isinstance(model, lw.Sequential):
        raise CLIError(
            f"{path} holds a saved {type(model).__name__}, not a layerwise network; this "
            "command reads networks saved by 'layerwise train' or lw.save(model)"
        )
    return model
