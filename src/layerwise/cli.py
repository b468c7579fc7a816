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
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

import layerwise as lw
from layerwise._files import atomic_write

__all__ = ["main", "build_parser", "PLUGINS"]

#: Subcommands provided by other modules (name -> module), registered when importable.
PLUGINS: dict[str, str] = {"sweep": "layerwise.sweep", "playground": "layerwise.playground"}

_TASK_DEFAULTS = {
    "binary": ("sigmoid", "bce"),
    "multiclass": ("softmax", "cce"),
    "regression": ("identity", "mse"),
}
_OUTPUT_FOR_LOSS = {"bce": "sigmoid", "cce": "softmax", "mse": "identity"}
_LOSS_FOR_OUTPUT = {"sigmoid": "bce", "softmax": "cce"}


class CLIError(Exception):
    """A bad argument found after parsing: reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not usage + message
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


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


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"--test-size must be in [0, 1), got {text!r}")
    return value


def _data_arg(text: str) -> str:
    if text in lw.datasets.names() or os.path.isfile(text):
        return text
    if text.lower().endswith(".csv") or os.sep in text:
        raise argparse.ArgumentTypeError(f"{text}: no such file")
    raise argparse.ArgumentTypeError(
        f"unknown data set {text!r}; give one of {', '.join(lw.datasets.names())} "
        "or the path of a CSV file"
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
    p.add_argument(
        "data",
        type=_data_arg,
        nargs=None if required else "?",
        default=None if required else "moons",
        help=f"a data set ({', '.join(lw.datasets.names())}) or a CSV file with a header row",
    )
    p.add_argument("--target", help="CSV only: the target column (default: the last one)")
    p.add_argument(
        "--n-samples", type=_positive(int, "--n-samples"), help="synthetic sets: number of samples"
    )
    p.add_argument("--noise", type=float, help="synthetic sets: noise level (>= 0)")
    p.add_argument("--seed", type=int, default=0, help="seed of data, split and weights (0)")


def _load_data(args: argparse.Namespace) -> dict[str, Any]:
    """Read the data set or CSV named by ``args.data``; returns X, y, task and a description."""
    if args.data in lw.datasets.names() and not os.path.isfile(args.data):
        if args.target is not None:
            raise CLIError("--target applies to CSV files only")
        X, y = lw.datasets.load(
            args.data, n_samples=args.n_samples, noise=args.noise, seed=args.seed
        )
        task = lw.datasets.task(args.data)
        about: dict[str, Any] = {"data": args.data, "n_samples": len(X), "noise": args.noise}
        classes = list(range(int(y.max()) + 1)) if task != "regression" else None
    else:
        if args.n_samples is not None or args.noise is not None:
            raise CLIError("--n-samples and --noise apply to synthetic data sets only")
        X, y, info = lw.datasets.load_csv(args.data, target=args.target, return_info=True)
        task, classes = info.task, info.classes
        about = {
            "data": os.path.abspath(args.data),
            "target": info.target,
            "feature_names": info.feature_names,
        }
    if classes is not None:
        about["classes"] = classes
    about["task"] = task
    return {"X": X, "y": y, "task": task, "n_classes": len(classes or []), "about": about}


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
    out, loss = _TASK_DEFAULTS[task]
    if args.loss is None:
        args.loss = (
            _LOSS_FOR_OUTPUT.get(args.output_activation, "mse")
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
    if several:
        p.add_argument(
            "--hidden",
            type=_hidden,
            nargs="+",
            default=[[16, 8]],
            help="one or more layouts, e.g. --hidden 4 16,8 (default 16,8)",
        )
    else:
        p.add_argument(
            "--hidden",
            type=_hidden,
            default=[16, 8],
            help="hidden layer widths, comma-separated (default 16,8; 'none': no hidden layer)",
        )
    p.add_argument(
        "--activation",
        type=_activation,
        default="tanh",
        help="activation of the hidden layers (default tanh)",
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


_GROW_KEYS = {
    "patience": int, "widen_by": int, "max_units": int, "max_layers": int,
    "add_layer": bool, "monitor": str, "min_delta": float, "noise": float,
}  # fmt: skip


def _grow_option(text: str) -> dict[str, Any]:
    """``--grow`` settings: ``key=value`` pairs for ``lw.callbacks.GrowOnPlateau``, comma
    separated (``patience=10,widen_by=8,max_units=64,add_layer``); empty for the defaults."""
    spec: dict[str, Any] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, _, value = item.partition("=")
        key = key.strip().replace("-", "_")
        if key not in _GROW_KEYS:
            raise argparse.ArgumentTypeError(
                f"unknown setting {key!r}; valid: {', '.join(_GROW_KEYS)}"
            )
        kind, value = _GROW_KEYS[key], value.strip()
        try:
            if kind is bool:
                if value.lower() not in ("", "1", "true", "yes", "0", "false", "no"):
                    raise ValueError(value)
                spec[key] = value.lower() in ("", "1", "true", "yes")
            elif key in ("max_units", "max_layers") and value.lower() == "none":
                spec[key] = None
            else:
                spec[key] = kind(value)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{key} must be "
                + {int: "an integer", float: "a number", bool: "true or false", str: "a name"}[kind]
                + f", got {value!r}"
            ) from None
    try:
        lw.callbacks.GrowOnPlateau(**spec)  # validate now, not after loading the data
    except (TypeError, ValueError) as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return spec


def _add_train_arguments(p: argparse.ArgumentParser) -> None:
    """Every option of ``layerwise train``; other modules' flags are added here too."""
    _add_data_arguments(p)
    _add_model_arguments(p)
    p.add_argument(
        "--lr", type=_positive(float, "--lr"), default=0.05, help="learning rate (default 0.05)"
    )
    p.add_argument(
        "--epochs", type=_positive(int, "--epochs"), default=200, help="epochs (default 200)"
    )
    p.add_argument(
        "--batch-size",
        type=_positive(int, "--batch-size"),
        help="mini-batch size (default: the whole training set)",
    )
    p.add_argument(
        "--test-size",
        type=_fraction,
        default=0.2,
        help="fraction held out for validation (default 0.2; 0 for none)",
    )
    p.add_argument("--out", type=Path, help="run folder (default runs/<data>-<time>)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--grow",
        nargs="?",
        const="",
        type=_grow_option,
        metavar="KEY=VALUE,...",
        help="grow the network when the validation loss plateaus (GrowOnPlateau, "
        "function-preserving widen/deepen); settings: patience, widen_by, max_units, "
        "max_layers, add_layer, monitor, min_delta, noise, e.g. --grow patience=10,widen_by=8",
    )
    _add_training_control_arguments(p)


def _schedule_option(text: str) -> str:
    try:
        lw.schedules.from_spec(text, epochs=2**31)  # T_max = --epochs, known later
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"--dropout must be in [0, 1), got {text!r}")
    return value


def _nonnegative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not (value >= 0 and np.isfinite(value)):
        raise argparse.ArgumentTypeError(f"--l2 must be a number >= 0, got {text!r}")
    return value


def _add_training_control_arguments(p: argparse.ArgumentParser) -> None:
    """Optimizer, schedule, regularisation, early stopping, checkpoints (issue 5)."""
    p.add_argument(
        "--optimizer",
        choices=lw.optimizers.names(),
        default="sgd",
        help="update rule, PyTorch's (default sgd); its learning rate is --lr",
    )
    p.add_argument(
        "--schedule",
        type=_schedule_option,
        metavar="NAME[:KEY=VALUE,...]",
        help="learning-rate schedule: step:step_size=10,gamma=0.5 | exponential:gamma=0.95 | "
        "cosine[:warmup_epochs=5] (T_max = --epochs) | plateau:patience=5,factor=0.5",
    )
    p.add_argument(
        "--dropout", type=_rate, default=0.0, help="dropout rate after each hidden layer"
    )
    p.add_argument(
        "--l2", type=_nonnegative, default=0.0, help="L2 penalty l2*sum(W^2) on every Dense layer"
    )
    p.add_argument(
        "--early-stopping",
        type=_positive(int, "--early-stopping"),
        metavar="PATIENCE",
        help="stop when the validation loss has not improved for PATIENCE epochs and "
        "restore the best weights",
    )
    p.add_argument(
        "--checkpoint",
        type=Path,
        metavar="PATH",
        help="save a resumable checkpoint after every epoch ({epoch} in PATH: one per epoch)",
    )
    p.add_argument(
        "--resume",
        type=Path,
        metavar="CHECKPOINT",
        help="continue a checkpoint until epoch --epochs, bit for bit as if never stopped "
        "(give the same --data, --seed and --test-size; the checkpoint's optimizer, "
        "learning rate and schedule are used)",
    )


def _verbose(args: argparse.Namespace) -> bool | str:
    return False if args.quiet else "auto"  # "auto": a bar only when stderr is a terminal


def _fit_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments of ``model.fit`` (and its callbacks) from the parsed options.

    ``compare`` calls it too, with a parser that has only the common options: read
    train-only flags with ``getattr(args, name, default)``.
    """
    kwargs = {
        "loss": args.loss,
        "lr": args.lr,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "verbose": _verbose(args),
        "callbacks": _grow_callbacks(args),
    }
    kwargs["optimizer"] = getattr(args, "optimizer", "sgd")
    if getattr(args, "schedule", None):
        kwargs["schedule"] = lw.schedules.from_spec(args.schedule, epochs=args.epochs)
    monitor = "val_loss" if getattr(args, "test_size", 0) else "loss"
    if getattr(args, "early_stopping", None):
        kwargs["callbacks"].append(
            lw.callbacks.EarlyStopping(
                monitor, patience=args.early_stopping, restore_best_weights=True
            )
        )
    if getattr(args, "checkpoint", None):
        kwargs["callbacks"].append(lw.callbacks.ModelCheckpoint(args.checkpoint, monitor))
    return kwargs


def _grow_callbacks(args: argparse.Namespace) -> list[lw.callbacks.Callback]:
    spec = getattr(args, "grow", None)
    if spec is None:
        return []
    spec = dict(spec)
    # without a validation split there is no val_loss to watch
    spec.setdefault("monitor", "val_loss" if getattr(args, "test_size", 0) else "loss")
    return [lw.callbacks.GrowOnPlateau(**spec)]


def _build_model(args: argparse.Namespace, n_features: int, out_dim: int) -> lw.Sequential:
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


def _resume(args: argparse.Namespace, n_features: int, kwargs: dict[str, Any]) -> lw.Sequential:
    """The checkpoint of ``--resume``, with ``kwargs`` set to continue it until --epochs."""
    try:
        model = lw.load(args.resume)
    except (OSError, ValueError) as exc:
        raise CLIError(f"--resume: {exc}") from None
    if model.input_dim != n_features:
        raise CLIError(
            f"--resume: {args.resume} expects {model.input_dim} features but {args.data} has "
            f"{n_features}; give the data it was trained on"
        )
    if model.epochs_trained >= args.epochs:
        raise CLIError(
            f"--resume: {args.resume} has already trained {model.epochs_trained} epochs; "
            f"give --epochs above that (the epoch to stop at)"
        )
    for key in ("optimizer", "lr", "schedule"):
        kwargs.pop(key, None)  # the checkpoint's own optimizer and schedule continue
    kwargs["initial_epoch"] = model.epochs_trained
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
    skip = {"func", "command", "debug"}
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


def _cmd_train(args: argparse.Namespace) -> int:
    data = _split_and_scale(_load_data(args), args.test_size, args.seed)
    _resolve_output(args, data["task"])
    out_dim = _output_dim(args, data)
    kwargs = _fit_kwargs(args)
    if getattr(args, "resume", None):
        model = _resume(args, data["X"].shape[1], kwargs)
    else:
        model = _build_model(args, data["X"].shape[1], out_dim)
    model.scaler = data["scaler"]  # so that checkpoints hold it too
    y_train = _targets(data["y_train"], args, out_dim)
    if data["X_test"] is not None:
        kwargs["validation_data"] = (data["X_test"], _targets(data["y_test"], args, out_dim))
    history = model.fit(data["X_train"], y_train, **kwargs)

    folder = _run_folder(args.out, Path(args.data).stem)
    config = {
        "settings": _settings(args),
        **data["about"],
        "final": _final(history),
        "layerwise": lw.__version__,
    }
    written = [folder / "model.npz", folder / "config.json", folder / "history.csv"]
    lw.save(model, written[0], scaler=data["scaler"], history=history, metadata=config)
    _write_json(written[1], config)
    history.to_csv(written[2])
    written += _train_plots(model, history, data, folder, args)
    f = _final(history)
    print(
        f"trained {Path(args.data).name}: {len(history)} epochs, loss {_fmt(f['loss'])}"
        f" (validation {_fmt(f['val_loss'])})"
        + (
            f", accuracy {_fmt(f['accuracy'])} (validation {_fmt(f['val_accuracy'])})"
            if f["accuracy"] is not None
            else ""
        )
    )
    print(f"run folder: {folder}")
    for path in written:
        print(f"  {path}")
    return 0


def _train_plots(model, history, data, folder: Path, args) -> list[Path]:
    title = (
        f"{Path(args.data).name}: hidden {_hidden_text(args.hidden)} {args.activation}, "
        f"{args.loss}, lr={args.lr:g}"
    )
    paths = [folder / "loss.png", folder / "architecture.png"]
    lw.plot.loss_panels(history, path=paths[0], title=f"Loss per epoch\n{title}")
    lw.plot.architecture(model, path=paths[1])
    if "accuracy" in history.metrics:
        paths.append(folder / "accuracy.png")
        lw.plot.accuracy_curves(history, path=paths[-1], title=f"Accuracy per epoch\n{title}")
    if data["X"].shape[1] == 2 and data["task"] != "regression":
        paths.append(folder / "decision_boundary.png")
        lw.plot.decision_boundary(
            model, data["X_train_raw"], data["y_train"], path=paths[-1], scaler=data["scaler"]
        )
    return paths


def _hidden_text(hidden: list[int]) -> str:
    return ",".join(map(str, hidden)) if hidden else "none"


# ---------------------------------------------------------------------------- compare
def _add_compare_arguments(p: argparse.ArgumentParser) -> None:
    _add_data_arguments(p)
    _add_model_arguments(p, several=True)
    p.add_argument(
        "--lr",
        type=_positive(float, "--lr"),
        nargs="+",
        default=[0.05],
        help="one or more learning rates, e.g. --lr 0.01 0.005 (default 0.05)",
    )
    p.add_argument("--epochs", type=_positive(int, "--epochs"), default=200)
    p.add_argument(
        "--batch-size",
        type=_positive(int, "--batch-size"),
        help="mini-batch size (default: the whole training set)",
    )
    p.add_argument(
        "--test-size",
        type=_fraction,
        default=0.2,
        help="fraction held out for validation (default 0.2; 0 for none)",
    )
    p.add_argument("--out", type=Path, help="folder (default runs/compare-<data>-<time>)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _cmd_compare(args: argparse.Namespace) -> int:
    layouts, rates = args.hidden, args.lr
    if len(layouts) * len(rates) < 2:
        raise CLIError("give several --lr values and/or several --hidden layouts to compare")
    data = _split_and_scale(_load_data(args), args.test_size, args.seed)
    _resolve_output(args, data["task"])
    out_dim = _output_dim(args, data)
    y_train = _targets(data["y_train"], args, out_dim)
    validation = None
    if data["X_test"] is not None:
        validation = (data["X_test"], _targets(data["y_test"], args, out_dim))
    runs: dict[Any, lw.History] = {}
    for hidden in layouts:
        args.hidden = hidden
        # one set of initial weights per layout: every learning rate starts from the same point
        base = _build_model(args, data["X"].shape[1], out_dim)
        for lr in rates:
            args.lr = lr
            if len(layouts) == 1:
                label: Any = lr
            elif len(rates) == 1:
                label = f"hidden {_hidden_text(hidden)}"
            else:
                label = f"hidden {_hidden_text(hidden)}, lr={lr:g}"
            kwargs = {**_fit_kwargs(args), "validation_data": validation}
            runs[label] = base.copy().fit(data["X_train"], y_train, **kwargs)
    args.hidden, args.lr = layouts, rates

    folder = _run_folder(args.out, f"compare-{Path(args.data).stem}")
    name = Path(args.data).name
    if len(layouts) == 1:
        title = (
            f"{name}: hidden {_hidden_text(layouts[0])} {args.activation}, {args.loss}, "
            "same initial weights"
        )
        fig_path = folder / "lr_comparison.png"
        lw.plot.learning_rate_comparison(runs, path=fig_path, title=title)
    else:
        fig_path = folder / "comparison.png"
        lw.plot.loss_panels(
            {str(k): h for k, h in runs.items()},
            val=False,
            path=fig_path,
            title=f"{name}: {args.activation}, {args.loss}, "
            + (f"lr={rates[0]:g}, " if len(rates) == 1 else "")
            + f"seed {args.seed}",
        )
    rows = [("run", "train loss", "val loss", "train acc", "val acc")]
    for label, h in runs.items():
        f = _final(h)
        text = f"lr={label:g}" if isinstance(label, float) else label
        rows.append(
            (
                text,
                _fmt(f["loss"]),
                _fmt(f["val_loss"]),
                _fmt(f["accuracy"]),
                _fmt(f["val_accuracy"]),
            )
        )
    table = _markdown(rows)
    written = [fig_path, folder / "summary.md"]
    with atomic_write(written[1]) as fh:
        fh.write(f"# compare on {name}, {args.epochs} epochs\n\n{table}\n")
    for i, (label, h) in enumerate(runs.items()):
        written.append(folder / f"history_{i}.csv")
        h.params["label"] = str(label)
        h.to_csv(written[-1])
    _write_json(
        folder / "config.json",
        {"settings": _settings(args), **data["about"], "runs": [str(k) for k in runs]},
    )
    written.append(folder / "config.json")
    print(table)
    print(f"run folder: {folder}")
    for path in written:
        print(f"  {path}")
    return 0


def _markdown(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |" for r in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


# ---------------------------------------------------------------------------- gradcheck
def _cmd_gradcheck(args: argparse.Namespace) -> int:
    if args.model is not None:
        model = lw.load(args.model)
        data = _load_data(args)
        X = data["X"][: args.rows]
        if getattr(model, "scaler", None) is not None:
            X = model.scaler.transform(X)
        loss = args.loss or model.metadata.get("settings", {}).get("loss")
        if loss is None:
            out = model.layers[-1].describe()
            loss = _LOSS_FOR_OUTPUT.get(out, "mse")
        args.loss = loss
        y = _targets(data["y"][: args.rows], args, model.output_dim)
    else:
        data = _load_data(args)
        _resolve_output(args, data["task"])
        out_dim = _output_dim(args, data)
        X = lw.datasets.StandardScaler().fit_transform(data["X"])[: args.rows]
        y = _targets(data["y"][: args.rows], args, out_dim)
        args.dtype = "float64"
        model = _build_model(args, X.shape[1], out_dim)
        # random biases: at b = 0 relu units could sit exactly on their kink
        rng = np.random.default_rng(args.seed)
        for layer in model.layers:
            if getattr(layer, "b", None) is not None:
                layer.b[:] = rng.normal(0.0, 0.5, layer.b.shape)
    error = lw.gradient_check(model, X, y, args.loss)
    verdict = "PASS" if error < args.threshold else "FAIL"
    print(model.summary())
    print(
        f"max relative error: {error:.3e} on {len(X)} samples, loss {args.loss} "
        f"(threshold {args.threshold:g}): {verdict}"
    )
    return 0 if verdict == "PASS" else 1


# ---------------------------------------------------------------------------- predict
def _read_features(path: str, model: lw.Sequential, columns: list[str] | None) -> np.ndarray:
    """The feature columns of a CSV: those named by ``columns``, else the model's feature
    names (a model trained on a CSV), else every column (or every column but the target)."""
    import csv

    meta = getattr(model, "metadata", {}) or {}
    names, target = columns or meta.get("feature_names"), meta.get("target")
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        header = [h.strip() for h in next(reader, [])]
        rows = [(reader.line_num, row) for row in reader if any(c.strip() for c in row)]
    if not header:
        raise ValueError(f"{path}: line 1: the file is empty; a header row is required")
    n = model.input_dim
    if columns:
        missing = [c for c in columns if c not in header]
        if missing:
            raise ValueError(f"{path}: line 1: no column {missing[0]!r}; columns: {header}")
        if len(columns) != n:
            raise ValueError(f"--columns names {len(columns)} columns; the model takes {n}")
    if names and all(name in header for name in names):
        cols = [header.index(name) for name in names]
    elif len(header) == n:
        cols = list(range(n))
    elif target in header and len(header) - 1 == n:
        cols = [j for j, h in enumerate(header) if h != target]
    else:
        raise ValueError(
            f"{path}: line 1: {len(header)} columns, but the model takes {n} features"
            + (f" ({', '.join(names)})" if names else "; choose them with --columns a,b")
        )
    if not rows:
        raise ValueError(f"{path}: line 2: no data rows after the header")
    X = np.empty((len(rows), len(cols)))
    for i, (line, row) in enumerate(rows):
        for c, j in enumerate(cols):
            cell = row[j] if j < len(row) else ""
            try:
                X[i, c] = float(cell)
            except ValueError:
                raise ValueError(
                    f"{path}: line {line}, column {header[j]!r} (index {j}): {cell!r} is not a "
                    "number"
                ) from None
            if not np.isfinite(X[i, c]):
                raise ValueError(f"{path}: line {line}, column {header[j]!r}: not finite")
    return X


def _cmd_predict(args: argparse.Namespace) -> int:
    model = lw.load(args.model)
    X = _read_features(args.csv, model, args.columns)
    if getattr(model, "scaler", None) is not None:
        X = model.scaler.transform(X)
    out = np.asarray(model.predict(X), dtype=np.float64)
    act = model.layers[-1].describe()
    classes = (model.metadata or {}).get("classes")
    header: list[str]
    if act == "sigmoid" and out.shape[1] == 1:
        names = classes if classes and len(classes) == 2 else [0, 1]
        header = ["prediction", "probability"]
        rows = [[names[int(p > 0.5)], repr(float(p))] for p in out[:, 0]]
    elif act == "softmax":
        names = classes if classes and len(classes) == out.shape[1] else list(range(out.shape[1]))
        header = ["prediction"] + [f"p_{c}" for c in names]
        rows = [[names[int(r.argmax())], *map(repr, map(float, r))] for r in out]
    else:
        header = ["prediction"] if out.shape[1] == 1 else [f"y_{j}" for j in range(out.shape[1])]
        rows = [list(map(repr, map(float, r))) for r in out]
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    if args.out is None:
        sys.stdout.write(buf.getvalue())
    else:
        with atomic_write(args.out, newline="") as fh:
            fh.write(buf.getvalue())
        print(f"wrote {len(rows)} predictions to {args.out}")
    return 0


# ---------------------------------------------------------------------------- info, export
def _cmd_info(args: argparse.Namespace) -> int:
    model = lw.load(args.model)
    if args.json:
        header = lw.io.read_header(args.model)
        header.pop("rng_state", None)
        print(json.dumps(header, indent=2, default=str))
        return 0
    print(model.summary())
    print(f"epochs trained: {model.epochs_trained}")
    if model.optimizer is not None:
        print(f"optimizer: {model.optimizer!r} after {model.optimizer.iterations} steps")
    print(f"scaler: {'standard scaler' if model.scaler is not None else 'none'}")
    if model.history is not None and len(model.history):
        f = _final(model.history)
        print(f"final loss: {_fmt(f['loss'])} (validation {_fmt(f['val_loss'])})")
    if model.events:
        print(
            "changes of shape: "
            + "; ".join(f"epoch {e['epoch']}: {e['change']}" for e in model.events)
        )
    if model.metadata:
        print("metadata:")
        for key, value in model.metadata.items():
            print(f"  {key}: {json.dumps(value, default=str)}")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    model = lw.load(args.model)
    try:
        from layerwise.export import to_onnx
    except ImportError as exc:
        raise ImportError(
            f"ONNX export is not available ({exc}); install it with pip install 'layerwise[onnx]'"
        ) from exc
    kwargs = {} if args.opset is None else {"opset": args.opset}
    to_onnx(model, args.onnx, **kwargs)
    if getattr(model, "scaler", None) is not None:
        print(
            "note: the ONNX graph expects standardised inputs (the model's scaler is not "
            "part of it); see 'layerwise info' for its mean and scale"
        )
    print(f"wrote {args.onnx}")
    return 0


# ---------------------------------------------------------------------------- demo
_DEMO_RATES = (0.01, 0.005)
_DEMO_DEEP = [16, 16, 8]


def _cmd_demo(args: argparse.Namespace) -> int:
    """The seed's experiment: one hidden layer of 4 tanh units, the same initial weights at
    two learning rates, full batch, plain gradient descent; and a deeper net for contrast."""
    X, y = lw.datasets.load(args.data, seed=args.seed)
    scaler = lw.datasets.StandardScaler().fit(X)
    Xs = scaler.transform(X)
    fit = {"loss": "bce", "epochs": args.epochs, "verbose": _verbose(args)}
    shallow = lw.mlp(2, [4], 1, activation="tanh", output_activation="sigmoid", seed=args.seed)
    models: dict[str, lw.Sequential] = {}
    runs: dict[str, lw.History] = {}
    for lr in _DEMO_RATES:
        label = f"4 tanh, lr={lr:g}"
        models[label] = shallow.copy()  # the same initial weights for every rate
        runs[label] = models[label].fit(Xs, y, lr=lr, **fit)
    label = f"{','.join(map(str, _DEMO_DEEP))} tanh, lr={_DEMO_RATES[0]:g}"
    models[label] = lw.mlp(
        2, _DEMO_DEEP, 1, activation="tanh", output_activation="sigmoid", seed=args.seed
    )
    runs[label] = models[label].fit(Xs, y, lr=_DEMO_RATES[0], **fit)

    out = _run_folder(args.out, "demo")
    about = f"{args.data} ({len(X)} points), full batch, plain gradient descent, bce"
    pictures = [
        out / "lr_comparison.png",
        out / "loss_curves.png",
        out / "decision_boundaries.png",
        out / "architecture.png",
    ]
    shallow_runs = dict(zip(_DEMO_RATES, list(runs.values())[:2]))
    lw.plot.learning_rate_comparison(
        shallow_runs,
        path=pictures[0],
        title=f"Model error vs epoch, one hidden layer of 4 tanh units, same initial weights"
        f"\n{about}",
    )
    lw.plot.loss_panels(
        runs, val=False, path=pictures[1], title=f"Error per epoch, shallow and deep\n{about}"
    )
    fig, axes = lw.plot.subplots(1, len(models), figsize=(5.2 * len(models), 4.6))
    for ax, (name, model) in zip(axes, models.items()):
        lw.plot.decision_boundary(model, X, y, ax=ax, scaler=scaler, resolution=150)
        ax.set_title(f"{name}\n{ax.get_title().splitlines()[-1]}", fontsize=10)
    lw.plot.save_figure(fig, pictures[2])
    lw.plot.close(fig)
    fig, axes = lw.plot.subplots(1, 2, figsize=(12.0, 5.2))
    first, deep = list(models.values())[0], list(models.values())[-1]
    lw.plot.architecture(first, ax=axes[0], max_neurons=10)
    lw.plot.architecture(deep, ax=axes[1], max_neurons=10)
    lw.plot.save_figure(fig, pictures[3])
    lw.plot.close(fig)

    files = []
    for i, (name, model) in enumerate(models.items()):
        stem = ("lr" + f"{_DEMO_RATES[i]:g}") if i < len(_DEMO_RATES) else "deep"
        files += [out / f"history_{stem}.csv", out / f"model_{stem}.npz"]
        runs[name].to_csv(files[-2])
        lw.save(
            model,
            files[-1],
            scaler=scaler,
            history=runs[name],
            metadata={"demo": name, "data": args.data, "seed": args.seed},
        )
    checkpoints = sorted({e for e in (1, 10, 100, 1000, 2000, args.epochs) if e <= args.epochs})
    rows = [("run", *(f"epoch {e}" for e in checkpoints), "accuracy")]
    for name, h in runs.items():
        rows.append(
            (
                name,
                *(f"{h.loss[e - 1]:.4f}" for e in checkpoints),
                f"{h.metrics['accuracy'][-1]:.3f}",
            )
        )
    table = _markdown(rows)
    fast, slow = (h.loss for h in list(runs.values())[:2])
    above = sum(s > f for f, s in zip(fast[1:], slow[1:]))
    notes = [
        f"after epoch 1 the lr=0.005 error lies above the lr=0.01 error at {above} of "
        f"{len(fast) - 1} epochs (both start from the same weights, so epoch 1 is equal)",
        f"the deeper network ends at error {list(runs.values())[-1].loss[-1]:.4f}, the "
        f"shallow one at {fast[-1]:.4f} (same learning rate 0.01)",
    ]
    with atomic_write(out / "summary.md") as fh:
        fh.write(
            f"# layerwise demo: {about}, {args.epochs} epochs\n\nerror (mean binary "
            f"cross-entropy) at chosen epochs\n\n{table}\n\n"
            + "\n".join(f"- {n}" for n in notes)
            + "\n"
        )
    print(f"layerwise demo: {about}, {args.epochs} epochs\n")
    print(table + "\n")
    for n in notes:
        print(f"- {n}")
    print("\npictures:")
    for path in pictures:
        print(f"  {path}")
    print(f"summary: {out / 'summary.md'}")
    print(f"histories and models: {', '.join(str(p) for p in files)}")
    return 0


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
    p.add_argument("--data", type=_choice(["flower", "moons"], "--data"), default="flower")
    p.add_argument("--epochs", type=_positive(int, "--epochs"), default=5000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_demo)

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
    p.add_argument("--json", action="store_true", help="print the stored description as JSON")
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

    _add_plugins(sub)
    return parser


def _add_plugins(sub) -> None:
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


def _add_unavailable(sub, name: str, reason: str) -> None:
    def run(args):
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
    try:
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
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
