"""One training run of ``train`` or ``compare``: the options they share, the keyword
arguments of ``fit`` built from them, a fit that the first Ctrl-C stops with the run so far,
and the report of an interrupted run."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import layerwise as lw
from layerwise.cli._common import DEFAULTS, _fraction, _positive, _verbose


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


def _fit_interruptibly(
    args: argparse.Namespace, model: lw.Sequential, X: Any, y: Any, kwargs: dict[str, Any]
) -> tuple[lw.History, int | None]:
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


def _report_interruption(args: argparse.Namespace, info: dict[str, Any], signum: int) -> int:
    """Say on stderr what stopped the run and what was saved, print the command that
    resumes it, and return the exit status of the signal."""
    from layerwise.cli._interrupt import exit_status

    print(
        f"layerwise {args.command}: interrupted by {info['signal']} after "
        f"{info['epochs_trained']} of {info['epochs_asked']} epochs; the run so far is saved "
        "above (marked interrupted in config.json and 'layerwise info')",
        file=sys.stderr,
    )
    print(f"resume with: {info['resume']}")
    return exit_status(signum)
