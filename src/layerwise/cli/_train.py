"""``layerwise train``: its options (growth, optimizer, schedule, regularisation, early
stopping, checkpoints), a run resumed from its checkpoint, and the files a run writes."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

import layerwise as lw
from layerwise.cli._common import (
    DEFAULTS,
    CLIError,
    _final,
    _fmt,
    _fraction,
    _hidden_text,
    _positive,
    _run_folder,
    _settings,
    _write_json,
)
from layerwise.cli._data import _add_data_arguments, _load_data, _split_and_scale
from layerwise.cli._fitting import (
    _add_epochs_argument,
    _add_run_arguments,
    _fit_interruptibly,
    _fit_kwargs,
    _joined,
    _report_interruption,
)
from layerwise.cli._model import (
    _add_model_arguments,
    _build_model,
    _load_network,
    _output_dim,
    _resolve_output,
    _targets,
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


def _interruption(
    args: argparse.Namespace, signum: int, model: lw.Sequential, folder: Path
) -> dict[str, Any]:
    """What the run's files say about an interrupted run: signal, epoch, the resume command."""
    from layerwise.cli._interrupt import resume_command, signal_name

    command = resume_command(
        args.argv, drop=("--out", "--resume"),
        add=("--out", str(folder), "--resume", str(folder / "model.npz")),
    )  # fmt: skip
    return {
        "signal": signal_name(signum),
        "epochs_trained": model.epochs_trained,
        "epochs_asked": args.epochs,
        "resume": command,
    }


def _cmd_train(args: argparse.Namespace) -> int:
    data = _split_and_scale(_load_data(args), args.test_size, args.seed)
    _resolve_output(args, data["task"])
    out_dim = _output_dim(args, data)
    kwargs = _fit_kwargs(args)
    earlier = None
    if getattr(args, "resume", None):
        model = _resume(args, data["X"].shape[1], kwargs)
        earlier = getattr(model, "history", None)
    else:
        model = _build_model(args, data["X"].shape[1], out_dim, n_rows=len(data["y_train"]))
    model.scaler = data["scaler"]  # so that checkpoints hold it too
    y_train = _targets(data["y_train"], args, out_dim)
    if data["X_test"] is not None:
        kwargs["validation_data"] = (data["X_test"], _targets(data["y_test"], args, out_dim))
    history, signum = _fit_interruptibly(args, model, data["X_train"], y_train, kwargs)
    history = _joined(earlier, history)

    folder = _run_folder(args.out, Path(args.data).stem)
    config = {
        "settings": _settings(args),
        **data["about"],
        "final": _final(history),
        "layerwise": lw.__version__,
    }
    if signum is not None:
        config["interrupted"] = _interruption(args, signum, model, folder)
    written = [folder / "model.npz", folder / "config.json", folder / "history.csv"]
    lw.save(model, written[0], scaler=data["scaler"], history=history, metadata=config)
    _write_json(written[1], config)
    history.to_csv(written[2])
    if len(history):
        written += _train_plots(model, history, data, folder, args, config.get("interrupted"))
    f = _final(history)
    done = "trained" if signum is None else "interrupted"
    print(
        f"{done} {Path(args.data).name}: {len(history)} epochs, loss {_fmt(f['loss'])}"
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
    if signum is None:
        return 0
    return _report_interruption(args, config["interrupted"], signum)


def _train_plots(
    model: lw.Sequential,
    history: lw.History,
    data: dict[str, Any],
    folder: Path,
    args: argparse.Namespace,
    interrupted: dict[str, Any] | None = None,
) -> list[Path]:
    """The run's figures, written into ``folder``: loss, architecture, accuracy (when
    measured) and the decision boundary (two features, classes); returns their paths."""
    title = (
        f"{Path(args.data).name}: hidden {_hidden_text(args.hidden)} {args.activation}, "
        f"{args.loss}, lr={args.lr:g}"
    )
    if interrupted:
        title += f" (interrupted at epoch {interrupted['epochs_trained']})"
    paths = [folder / "loss.png", folder / "architecture.png"]
    lw.plot.loss_panels(history, path=paths[0], title=f"Loss per epoch\n{title}")
    lw.plot.architecture(model, path=paths[1])
    if "accuracy" in history.metrics:
        paths.append(folder / "accuracy.png")
        lw.plot.accuracy_curves(history, path=paths[-1], title=f"Accuracy per epoch\n{title}")
    if data["X"].shape[1] == 2 and data["task"] != "regression":
        paths.append(folder / "decision_boundary.png")
        lw.plot.decision_boundary(
            model,
            data["X_train_raw"],
            data["y_train"],
            path=paths[-1],
            scaler=data["scaler"],
            **_picture_names(data["about"]),
        )
    return paths


def _picture_names(about: dict[str, Any]) -> dict[str, Any]:
    """A CSV file's own names for the pictures: its feature columns on the axes, its classes
    in the legend (numbers as ``target=value``); a built-in set keeps the defaults."""
    if "feature_names" not in about:
        return {}
    names: dict[str, Any] = {"feature_names": [str(n) for n in about["feature_names"]]}
    if about.get("classes") is not None:
        names["class_names"] = [
            c if isinstance(c, str) else f"{about['target']}={c}" for c in about["classes"]
        ]
    return names
