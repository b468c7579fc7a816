"""The ``layerwise`` command: demo, train, compare, gradcheck, predict, info, export.

Run ``layerwise --help`` or ``layerwise SUBCOMMAND --help``. A bad argument prints one line
to stderr and exits with status 2; a training run that diverges exits with status 1.

Other modules add subcommands with two functions, found by :data:`PLUGINS`::

    def configure_parser(parser: argparse.ArgumentParser) -> None: ...
    def run_cli(args: argparse.Namespace) -> int: ...

A listed module that does not exist yet is skipped; one that fails to import (a missing
extra) gets a subcommand that explains what to install.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import layerwise as lw
from layerwise.cli._common import CLIError, _choice, _existing_file, _Parser, _positive
from layerwise.cli._compare import _add_compare_arguments, _cmd_compare
from layerwise.cli._data import _add_data_arguments
from layerwise.cli._demo import _cmd_demo

# re-exported: docs/cli.md points extensions at layerwise.cli._fit_kwargs
from layerwise.cli._fitting import _fit_kwargs as _fit_kwargs
from layerwise.cli._interrupt import Deferral, exit_status, signal_name
from layerwise.cli._model import _add_model_arguments
from layerwise.cli._tools import _cmd_export, _cmd_gradcheck, _cmd_info, _cmd_predict
from layerwise.cli._train import _add_train_arguments, _cmd_train

__all__ = ["main", "build_parser", "PLUGINS"]

if TYPE_CHECKING:  # generic in typeshed only
    _SubParsers = argparse._SubParsersAction[_Parser]

#: The commands whose first Ctrl-C or SIGTERM saves the run so far (layerwise.cli._interrupt).
_TRAINING_COMMANDS = ("train", "compare", "sweep")

#: Subcommands provided by other modules (name -> module), registered when importable.
PLUGINS: dict[str, str] = {"sweep": "layerwise.sweeps", "playground": "layerwise.playground"}


# ---------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    """The ``layerwise`` parser with every subcommand (plugins included when importable)."""
    parser = _Parser(
        prog="layerwise",
        description="layerwise: train, compare, check and inspect dense neural networks.",
        epilog="Run 'layerwise SUBCOMMAND --help' for the options of each.",
    )
    parser.add_argument("--version", action="version", version=f"layerwise {lw.__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    sub = parser.add_subparsers(dest="command", metavar="SUBCOMMAND", parser_class=_Parser)
    _add_demo(sub)
    _add_training(sub)
    _add_tools(sub)
    _add_plugins(sub)
    return parser


def _add_demo(sub: _SubParsers) -> None:
    p = sub.add_parser(
        "demo",
        help="the seed's experiment: learning rates 0.01 and 0.005",
        description="One hidden layer of 4 tanh neurons on the flower data, "
        "the same initial weights trained full-batch at lr 0.01 and 0.005, and a "
        "deeper network for contrast; writes figures, histories and a summary.",
    )
    p.add_argument(
        "--out", type=Path, default=Path("runs/demo"), help="output folder (default runs/demo)"
    )
    p.add_argument(
        "--data",
        type=_choice(["flower", "moons"], "--data"),
        default="flower",
        help="flower (default) or moons",
    )
    p.add_argument(
        "--epochs",
        type=_positive(int, "--epochs"),
        default=5000,
        help="full-batch epochs of each run (default 5000)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of data and weights (default 0)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_demo)


def _add_training(sub: _SubParsers) -> None:
    p = sub.add_parser(
        "train",
        help="train a network on a data set or CSV and save the run",
        description="Train a network and save model, config, history and figures in a run folder.",
    )
    _add_train_arguments(p)
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser(
        "compare",
        help="several learning rates and/or layouts, same data",
        description="Train several learning rates (from the same initial "
        "weights) and/or hidden layouts on the same data and seed; one overlay "
        "figure on linear and log axes and a table of final results.",
    )
    _add_compare_arguments(p)
    p.set_defaults(func=_cmd_compare)

    p = sub.add_parser(
        "gradcheck",
        help="check backpropagation against finite differences",
        description="Compare backpropagated gradients with centred finite "
        "differences (float64); exit status 0 on PASS, 1 on FAIL.",
    )
    _add_data_arguments(p, required=False)
    _add_model_arguments(p)
    p.add_argument("--model", type=_existing_file, help="check a saved model instead")
    p.add_argument(
        "--rows", type=_positive(int, "--rows"), default=16, help="samples used (default 16)"
    )
    p.add_argument(
        "--threshold",
        type=_positive(float, "--threshold"),
        default=1e-6,
        help="largest relative error that passes (default 1e-6)",
    )
    p.set_defaults(func=_cmd_gradcheck, hidden=[4])


def _add_tools(sub: _SubParsers) -> None:
    p = sub.add_parser(
        "predict",
        help="predict a CSV with a saved model",
        description="Read features from a CSV (a header row; the columns the "
        "model was trained on, a target column is ignored) and write "
        "predictions.",
    )
    p.add_argument("model", type=_existing_file, help="a model file saved by layerwise")
    p.add_argument("csv", type=_existing_file, help="CSV file of features")
    p.add_argument(
        "--columns",
        type=lambda text: [c.strip() for c in text.split(",") if c.strip()],
        help="feature columns, comma-separated (default: the columns the model was trained on)",
    )
    p.add_argument("--out", type=Path, help="output CSV (default: standard output)")
    p.set_defaults(func=_cmd_predict)

    p = sub.add_parser(
        "info",
        help="describe a saved model",
        description="Layers, training state and metadata of a saved model.",
    )
    p.add_argument("model", type=_existing_file, help="a model file saved by layerwise")
    p.add_argument(
        "--json",
        action="store_true",
        help="print the stored description as JSON (the history summarised)",
    )
    p.add_argument("--history", action="store_true", help="with --json: every epoch of the history")
    p.set_defaults(func=_cmd_info)

    p = sub.add_parser(
        "export",
        help="export a saved model to ONNX",
        description="Write a saved model as an ONNX graph (needs pip install 'layerwise[onnx]').",
    )
    p.add_argument("model", type=_existing_file, help="a model file saved by layerwise")
    p.add_argument("--onnx", type=Path, required=True, help="the .onnx file to write")
    p.add_argument("--opset", type=_positive(int, "--opset"), help="ONNX opset version")
    p.set_defaults(func=_cmd_export)


def _add_plugins(sub: _SubParsers) -> None:
    for name, module_name in PLUGINS.items():
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            if exc.name is not None and module_name.startswith(exc.name):
                continue  # not written yet
            _add_unavailable(sub, name, f"{module_name} could not be imported: {exc}")
            continue
        configure = getattr(module, "configure_parser", None)
        run = getattr(module, "run_cli", None)
        if not (callable(configure) and callable(run)):
            continue
        doc = (module.__doc__ or name).strip()
        p = sub.add_parser(name, help=doc.splitlines()[0], description=doc.split("\n\n")[0])
        configure(p)
        p.set_defaults(func=run)


def _add_unavailable(sub: _SubParsers, name: str, reason: str) -> None:
    def run(args: argparse.Namespace) -> int:
        raise ImportError(reason)

    p = sub.add_parser(name, help=f"(unavailable: {reason})")
    p.set_defaults(func=run)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def main(argv: list[str] | None = None) -> int:
    """Run the ``layerwise`` command; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    if getattr(args, "func", None) is None:
        parser.print_help(sys.stderr)
        return 2
    prog = f"layerwise {args.command}"
    args.argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if args.command in _TRAINING_COMMANDS:
            # the first Ctrl-C (or SIGTERM) finishes the batch and saves the run so far
            with Deferral(prog) as args.deferral:
                return int(args.func(args) or 0)
        return int(args.func(args) or 0)
    except lw.DivergenceError as exc:
        if args.debug:
            raise
        print(f"{prog}: {_one_line(exc)}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader went away (`layerwise info m.npz | head`)
        # point stdout at /dev/null so the flush at exit does not fail again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (CLIError, ValueError, TypeError, OSError, ImportError) as exc:
        if args.debug:
            raise
        print(f"{prog}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:  # before training began, or a second Ctrl-C
        signum = getattr(exc, "signum", signal.SIGINT)
        print(f"{prog}: interrupted ({signal_name(signum)}); nothing more saved", file=sys.stderr)
        return exit_status(signum)
