"""What the subcommands share: the one-line error, argument types, data loading and
splitting, the model options, run folders and small formatting helpers."""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

import layerwise as lw
from layerwise import targets
from layerwise._internal.files import atomic_write
from layerwise._internal.validation import check_allocation
from layerwise.datasets import MAX_CLASSES, check_n_classes

#: The defaults of one training run, the same for train, compare and sweep (tested).
DEFAULTS: dict[str, Any] = {"hidden": [16, 8], "activation": "tanh", "lr": 0.05, "epochs": 200}
_OUTPUT_FOR_LOSS = {loss: act for act, loss in targets.TASKS.values()}


class CLIError(Exception):
    """A bad argument found after parsing: reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not usage + message
        hint = self._did_you_mean(message)
        self.exit(2, f"{self.prog}: error: {message}{hint} (see {self.prog} --help)\n")

    def _options(self) -> list[str]:
        """Every option string of this parser and of its subcommands' parsers."""
        names = list(self._option_string_actions)
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    names += list(sub._option_string_actions)
        return names

    def _did_you_mean(self, message: str) -> str:
        """``; did you mean --epochs?`` for a misspelt option of ``unrecognized arguments``."""
        if not message.startswith("unrecognized arguments:"):
            return ""
        import difflib

        hints = []
        for word in message.split(":", 1)[1].split():
            if word.startswith("--"):
                close = difflib.get_close_matches(word.split("=")[0], self._options(), n=1)
                hints += [f"{word} -> {close[0]}"] if close else []
        return f"; did you mean {', '.join(hints)}?" if hints else ""


# ---------------------------------------------------------------------------- arg types
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

    def __call__(self, parser, namespace, values, option_string=None):
        if len(values) > 1 and any(not v for v in values):
            parser.error("--hidden: 'none' (no hidden layer) goes alone")
        setattr(namespace, self.dest, [w for v in values for w in v])


def _positive(kind: type, name: str):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not value > 0 or not np.isfinite(value):
            what = "integer" if kind is int else "number"
            raise argparse.ArgumentTypeError(f"{name} must be a positive {what}, got {text!r}")
        return value

    return parse


def _fraction(name: str):
    """An argparse type: a number in [0, 1), the error naming the option ``name``."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = -1.0
        if not 0.0 <= value < 1.0:
            raise argparse.ArgumentTypeError(f"{name} must be in [0, 1), got {text!r}")
        return value

    return parse


def _data_arg(text: str) -> str:
    if text in lw.datasets.names() or os.path.isfile(text):
        return text
    if text.lower().endswith(".csv") or os.sep in text:
        raise argparse.ArgumentTypeError(f"{text}: no such file")
    import difflib

    close = difflib.get_close_matches(text.lower(), lw.datasets.names(), n=1)
    raise argparse.ArgumentTypeError(
        f"unknown data set {text!r}"
        + (f"; did you mean {close[0]!r}?" if close else "")
        + f" Give one of {', '.join(lw.datasets.names())} or the path of a CSV file"
    )


def _existing_file(text: str) -> str:
    if not os.path.exists(text):
        raise argparse.ArgumentTypeError(f"{text}: no such file")
    if os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"{text} is a folder; give a file")
    return text


def _choice(valid: list[str], name: str):
    def parse(text: str) -> str:
        if text not in valid:
            raise argparse.ArgumentTypeError(
                f"{name} must be one of {', '.join(valid)}, got {text!r}"
            )
        return text

    return parse


# ---------------------------------------------------------------------------- data
def _add_data_arguments(p: argparse.ArgumentParser, *, required: bool = True) -> None:
    """DATA (or ``--data DATA``, the spelling of ``sweep``) and the options that shape it."""
    what = f"a data set ({', '.join(lw.datasets.names())}) or a CSV file with a header row"
    p.add_argument(
        "data", type=_data_arg, nargs="?", help=what + ("" if required else " (default moons)")
    )
    p.add_argument(
        "--data", dest="data_option", type=_data_arg, metavar="DATA", help="the same as DATA"
    )
    p.set_defaults(data_required=required)
    p.add_argument("--target", help="CSV only: the target column (default: the last one)")
    p.add_argument(
        "--task",
        choices=["classification", "regression"],
        help="default: inferred from the target as scikit-learn's type_of_target does "
        "(labels, or integers with few distinct values: classification; others: regression)",
    )
    p.add_argument(
        "--max-classes",
        type=_positive(int, "--max-classes"),
        default=MAX_CLASSES,
        help=f"refuse a classification with more classes than this (default {MAX_CLASSES})",
    )
    p.add_argument(
        "--n-samples", type=_positive(int, "--n-samples"), help="synthetic sets: number of samples"
    )
    p.add_argument("--noise", type=float, help="synthetic sets: noise level (>= 0)")
    p.add_argument("--seed", type=int, default=0, help="seed of data, split and weights (0)")


def _data_name(args: argparse.Namespace) -> str:
    """The data set of DATA or ``--data``: one of them, not both (moons when optional)."""
    given = [d for d in (args.data, getattr(args, "data_option", None)) if d is not None]
    if len(given) == 2 and given[0] != given[1]:
        raise CLIError(f"give the data once: DATA is {given[0]!r} and --data is {given[1]!r}")
    if not given and getattr(args, "data_required", True):
        raise CLIError("give the data: a data set name or a CSV file, e.g. 'moons'")
    args.data = given[0] if given else "moons"
    return args.data


def _load_data(args: argparse.Namespace) -> dict[str, Any]:
    """Read the data set or CSV named by ``args.data``; returns X, y, task and a description."""
    name = _data_name(args)
    if name in lw.datasets.names() and not os.path.isfile(name):
        X, y, task, about = _load_named(args)
        classes = list(range(int(y.max()) + 1)) if task != "regression" else None
    else:
        if args.n_samples is not None or args.noise is not None:
            raise CLIError("--n-samples and --noise apply to synthetic data sets only")
        # the task as infer_task says (type_of_target's rules); the class limit below, in
        # the command's own words
        X, y, info = lw.datasets.load_csv(
            name, target=args.target, task=args.task or "auto", max_classes=None, return_info=True
        )
        task, classes = info.task, info.classes
        if classes is not None and len(classes) < 2:
            raise CLIError(
                f"{name}: target column {info.target!r} has one class "
                f"({classes[0]!r}); a classifier needs at least 2 classes"
            )
        about = {
            "data": os.path.abspath(name),
            "target": info.target,
            "feature_names": info.feature_names,
        }
    if classes is not None:
        what = f"{name}: the target" + (f" {about['target']!r}" if "target" in about else "")
        try:
            check_n_classes(len(classes), limit=args.max_classes, what=what)
        except ValueError:
            raise CLIError(
                f"{what} has {len(classes):,} classes, more than --max-classes "
                f"{args.max_classes:,}; if it is a quantity, give --task regression, or raise "
                "--max-classes if you mean that many classes"
            ) from None
        about["classes"] = classes
    about["task"] = task
    return {"X": X, "y": y, "task": task, "n_classes": len(classes or []), "about": about}


def _load_named(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray, str, dict[str, Any]]:
    """A built-in data set, with ``--task`` applied; refuses sizes beyond memory first."""
    if args.target is not None:
        raise CLIError("--target applies to CSV files only")
    info = lw.datasets.info(args.data)
    if args.n_samples is not None:
        check_allocation(
            args.n_samples * (info.n_features + 1), np.float64, f"--n-samples {args.n_samples}"
        )
    X, y = lw.datasets.load(args.data, n_samples=args.n_samples, noise=args.noise, seed=args.seed)
    task = lw.datasets.task(args.data)
    if args.task == "regression" and task != "regression":
        y, task = y.astype(np.float64), "regression"
    elif args.task == "classification" and task == "regression":
        raise CLIError(
            f"--task classification: {args.data} has continuous targets; use a data set "
            "with labels (moons, iris, ...) or leave --task out"
        )
    return X, y, task, {"data": args.data, "n_samples": len(X), "noise": args.noise}


def _split_and_scale(data: dict[str, Any], test_size: float, seed: int) -> dict[str, Any]:
    X, y = data["X"], data["y"]
    if test_size > 0:
        X_tr, X_te, y_tr, y_te = lw.datasets.train_test_split(
            X, y, test_size, seed=seed, stratify=data["task"] != "regression"
        )
    else:
        X_tr, X_te, y_tr, y_te = X, None, y, None
    scaler = lw.datasets.StandardScaler().fit(X_tr)
    return {
        **data,
        "X_train_raw": X_tr,
        "y_train": y_tr,
        "X_test_raw": X_te,
        "y_test": y_te,
        "X_train": scaler.transform(X_tr),
        "scaler": scaler,
        "X_test": scaler.transform(X_te) if X_te is not None else None,
    }


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
    if args.loss == "cce" or (args.loss == "bce" and data["task"] == "multiclass"):
        if data["task"] == "regression":
            raise CLIError(
                f"--loss {args.loss} needs class labels; {args.data} is a regression set"
            )
        return data["n_classes"]
    return 1


def _targets(y: np.ndarray | None, args: argparse.Namespace, out_dim: int):
    if y is not None and args.loss == "bce" and out_dim > 1:
        return lw.datasets.one_hot(y, out_dim)
    return y


# ---------------------------------------------------------------------------- train
def _activation(text: str) -> str:
    try:
        lw.activations.get(text)
    except (ValueError, TypeError) as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _add_model_arguments(p: argparse.ArgumentParser, *, several: bool = False) -> None:
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


def _verbose(args: argparse.Namespace) -> bool | str:
    return False if args.quiet else "auto"  # "auto": a bar only when stderr is a terminal


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
    for layer in model.layers:
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


def _run_folder(out: Path | None, stem: str) -> Path:
    if out is None:
        base = Path("runs") / f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}"
        out, k = base, 1
        while out.exists():
            k += 1
            out = base.with_name(f"{base.name}-{k}")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as exc:
        raise CLIError(f"cannot create the run folder {out}: a file is in the way") from exc
    return out


def _write_json(path: Path, obj: Any) -> None:
    with atomic_write(path) as f:
        json.dump(obj, f, indent=2, default=str)
        f.write("\n")


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    skip = {"func", "command", "debug", "data_option", "data_required", "argv", "deferral"}
    return {
        k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k not in skip
    }


def _final(history: lw.History) -> dict[str, float | None]:
    def last(values):
        return float(values[-1]) if values else None

    return {
        "loss": last(history.loss),
        "val_loss": last(history.val_loss),
        "accuracy": last(history.metrics.get("accuracy")),
        "val_accuracy": last(history.metrics.get("val_accuracy")),
    }


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def _hidden_text(hidden: list[int]) -> str:
    return ",".join(map(str, hidden)) if hidden else "none"


def _markdown(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |" for r in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)
