"""``layerwise train`` and ``layerwise compare``: their options, the keyword arguments of
``fit`` built from them, and the runs they write."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

import layerwise as lw
from layerwise._internal.files import atomic_write
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


def _fit_interruptibly(args, model, X, y, kwargs) -> tuple[lw.History, int | None]:
    """``model.fit(X, y, **kwargs)``; on a deferred Ctrl-C/SIGTERM, the History of the epochs
    completed and the signal's number (the model holds the last batch's weights)."""
    deferral = getattr(args, "deferral", None)
    if deferral is None:  # called without main(): no signal handling of its own
        return model.fit(X, y, **kwargs), None
    kwargs = {**kwargs, "callbacks": [*kwargs.get("callbacks", ()), deferral.callback()]}
    try:
        with deferral.training():
            return model.fit(X, y, **kwargs), None
    except KeyboardInterrupt as exc:
        stopped = deferral.stopped(exc)
        if stopped is None:
            raise  # a second signal: out at once
        signum, history = stopped
        return history, signum


def _joined(before: lw.History | None, after: lw.History) -> lw.History:
    """The history of a resumed run: the epochs saved in its checkpoint, then the new ones."""
    if before is None or not len(before) or (after.epoch and before.epoch[-1] >= after.epoch[0]):
        return after
    a, b = before.to_dict(), after.to_dict()
    joined = {k: a[k] + b[k] for k in ("epoch", "loss", "val_loss", "lr", "events")}
    joined["metrics"] = {m: a["metrics"].get(m, []) + b["metrics"][m] for m in b["metrics"]}
    return lw.History.from_dict({**joined, "params": b["params"]})


def _interruption(args, signum: int, model: lw.Sequential, folder: Path) -> dict[str, Any]:
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


def _report_interruption(args, info: dict[str, Any], signum: int) -> int:
    from layerwise.cli._interrupt import exit_status

    print(
        f"layerwise {args.command}: interrupted by {info['signal']} after "
        f"{info['epochs_trained']} of {info['epochs_asked']} epochs; the run so far is saved "
        "above (marked interrupted in config.json and 'layerwise info')",
        file=sys.stderr,
    )
    print(f"resume with: {info['resume']}")
    return exit_status(signum)


def _train_plots(model, history, data, folder: Path, args, interrupted=None) -> list[Path]:
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
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue the comparison in --out (one stopped by Ctrl-C): finished runs are "
        "kept, the interrupted one continues from its run_<i>.npz, the others run",
    )


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
    if args.resume and args.out is None:
        raise CLIError("--resume continues the comparison in --out; give --out")
    folder = _run_folder(args.out, f"compare-{Path(args.data).stem}")
    runs: dict[Any, lw.History] = {}
    signum, k = None, 0
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
            where = folder / f"run_{k}.npz"
            runs[label], signum = _compare_run(args, base, where, label, data, y_train, validation)
            k += 1
            if signum is not None:
                break
        if signum is not None:
            break
    args.hidden, args.lr = layouts, rates
    name = Path(args.data).name
    fig_path = _compare_picture(args, folder, runs, layouts, rates, signum)
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
    stopped = None
    if signum is not None:
        from layerwise.cli._interrupt import resume_command, signal_name

        stopped = {
            "signal": signal_name(signum),
            "run": len(runs) - 1,
            "label": str(list(runs)[-1]),
            "epochs_trained": len(list(runs.values())[-1]),
            "epochs_asked": args.epochs,
            "runs_asked": len(layouts) * len(rates),
            "resume": resume_command(
                args.argv, drop=("--out",), drop_flags=("--resume",),
                add=("--out", str(folder), "--resume"),
            ),
        }  # fmt: skip
    written = [fig_path, folder / "summary.md"]
    with atomic_write(written[1]) as fh:
        fh.write(f"# compare on {name}, {args.epochs} epochs\n\n{table}\n")
        if stopped:
            fh.write(
                f"\nINTERRUPTED by {stopped['signal']}: run {stopped['run']} "
                f"({stopped['label']}) stopped after {stopped['epochs_trained']} epochs, "
                f"{stopped['runs_asked'] - len(runs)} run(s) not started; resume with\n"
                f"`{stopped['resume']}`\n"
            )
    for i, (label, h) in enumerate(runs.items()):
        written.append(folder / f"history_{i}.csv")
        h.params["label"] = str(label)
        h.to_csv(written[-1])
    config = {"settings": _settings(args), **data["about"], "runs": [str(k) for k in runs]}
    if stopped:
        config["interrupted"] = stopped
    _write_json(folder / "config.json", config)
    written.append(folder / "config.json")
    written += [folder / f"run_{i}.npz" for i in range(len(runs))]
    print(table)
    print(f"run folder: {folder}")
    for path in written:
        print(f"  {path}")
    if stopped is None:
        return 0
    return _report_interruption(args, stopped, signum)


def _compare_picture(args, folder: Path, runs, layouts, rates, signum) -> Path:
    """Draw the comparison (one panel of rates, or a panel per layout); return its path."""
    name = Path(args.data).name
    drawn = {k: h for k, h in runs.items() if len(h)}  # a run stopped in its first epoch: none
    note = (
        "" if signum is None else f" (interrupted, {len(runs)} of {len(layouts) * len(rates)} runs)"
    )
    if len(layouts) == 1:
        title = (
            f"{name}: hidden {_hidden_text(layouts[0])} {args.activation}, {args.loss}, "
            "same initial weights" + note
        )
        fig_path = folder / "lr_comparison.png"
        lw.plot.learning_rate_comparison(drawn, path=fig_path, title=title)
        return fig_path
    fig_path = folder / "comparison.png"
    lw.plot.loss_panels(
        {str(k): h for k, h in drawn.items()},
        val=False,
        path=fig_path,
        title=f"{name}: {args.activation}, {args.loss}, "
        + (f"lr={rates[0]:g}, " if len(rates) == 1 else "")
        + f"seed {args.seed}"
        + note,
    )
    return fig_path


def _compare_run(args, base, where: Path, label, data, y_train, validation):
    """One run of ``compare`` from a copy of ``base`` (or, with --resume, from its file
    ``where``), saved to ``where``; returns its History and the signal that stopped it."""
    kwargs = {**_fit_kwargs(args), "validation_data": validation}
    model, earlier = base.copy(), None
    if args.resume and where.is_file():
        saved = _load_network(where)
        if (saved.metadata or {}).get("label") != str(label):
            raise CLIError(
                f"--resume: {where} holds the run {saved.metadata.get('label')!r}, not "
                f"{str(label)!r}; give the same --hidden and --lr as the interrupted command"
            )
        if saved.epochs_trained >= args.epochs:
            return saved.history, None
        model, earlier = saved, saved.history
        for key in ("optimizer", "lr", "schedule"):
            kwargs.pop(key, None)  # the saved optimizer and schedule continue
        kwargs["initial_epoch"] = saved.epochs_trained
    history, signum = _fit_interruptibly(args, model, data["X_train"], y_train, kwargs)
    history = _joined(earlier, history)
    meta = {"label": str(label), "settings": _settings(args)}
    if signum is not None:
        meta["interrupted"] = {"epochs_trained": model.epochs_trained}
    lw.save(model, where, scaler=data["scaler"], history=history, metadata=meta)
    return history, signum
