"""``layerwise train`` and ``layerwise compare``: their options, the keyword arguments of
``fit`` built from them, and the runs they write."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

import layerwise as lw
from layerwise._files import atomic_write
from layerwise.cli._common import (
    DEFAULTS,
    CLIError,
    _add_data_arguments,
    _add_model_arguments,
    _build_model,
    _final,
    _fmt,
    _fraction,
    _hidden_text,
    _load_data,
    _load_network,
    _markdown,
    _output_dim,
    _positive,
    _resolve_output,
    _run_folder,
    _settings,
    _split_and_scale,
    _targets,
    _verbose,
    _write_json,
)

# ---------------------------------------------------------------------------- train
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


def _add_run_arguments(p: argparse.ArgumentParser, *, out_help: str) -> None:
    """Batching, validation split, output folder and progress options of train and compare."""
    p.add_argument(
        "--batch-size",
        type=_positive(int, "--batch-size"),
        help="mini-batch size (default: the whole training set)",
    )
    p.add_argument(
        "--test-size",
        type=_fraction("--test-size"),
        default=0.2,
        help="fraction held out for validation (default 0.2; 0 for none)",
    )
    p.add_argument("--out", type=Path, help=out_help)
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _add_epochs_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--epochs",
        type=_positive(int, "--epochs"),
        default=DEFAULTS["epochs"],
        help=f"passes over the training set (default {DEFAULTS['epochs']})",
    )


def _add_train_arguments(p: argparse.ArgumentParser) -> None:
    """Every option of ``layerwise train``; other modules' flags are added here too."""
    _add_data_arguments(p)
    _add_model_arguments(p)
    p.add_argument(
        "--lr",
        type=_positive(float, "--lr"),
        default=DEFAULTS["lr"],
        help=f"learning rate (default {DEFAULTS['lr']:g})",
    )
    _add_epochs_argument(p)
    _add_run_arguments(p, out_help="run folder (default runs/<data>-<time>)")
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
        "--dropout",
        type=_fraction("--dropout"),
        default=0.0,
        help="dropout rate after each hidden layer",
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


def _resume(args: argparse.Namespace, n_features: int, kwargs: dict[str, Any]) -> lw.Sequential:
    """The checkpoint of ``--resume``, with ``kwargs`` set to continue it until --epochs."""
    try:
        model = _load_network(args.resume)
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


def _cmd_train(args: argparse.Namespace) -> int:
    data = _split_and_scale(_load_data(args), args.test_size, args.seed)
    _resolve_output(args, data["task"])
    out_dim = _output_dim(args, data)
    kwargs = _fit_kwargs(args)
    if getattr(args, "resume", None):
        model = _resume(args, data["X"].shape[1], kwargs)
    else:
        model = _build_model(args, data["X"].shape[1], out_dim, n_rows=len(data["y_train"]))
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


# ---------------------------------------------------------------------------- compare
def _add_compare_arguments(p: argparse.ArgumentParser) -> None:
    _add_data_arguments(p)
    _add_model_arguments(p, several=True)
    p.add_argument(
        "--lr",
        type=_positive(float, "--lr"),
        nargs="+",
        default=[DEFAULTS["lr"]],
        help=f"one or more learning rates, e.g. --lr 0.01 0.005 (default {DEFAULTS['lr']:g})",
    )
    _add_epochs_argument(p)
    _add_run_arguments(p, out_help="folder (default runs/compare-<data>-<time>)")


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
        base = _build_model(args, data["X"].shape[1], out_dim, n_rows=len(y_train))
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
