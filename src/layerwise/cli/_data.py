"""The data of a command: DATA (a built-in set or a CSV file) and the options that shape
it, loaded, checked and split into scaled training and validation parts."""

from __future__ import annotations

import argparse
import os
from typing import Any

import numpy as np

import layerwise as lw
from layerwise._internal.validation import check_allocation
from layerwise.cli._common import CLIError, _positive
from layerwise.datasets import MAX_CLASSES, check_n_classes


def _data_arg(text: str) -> str:
    """An argparse type: a built-in data set's name or the path of a CSV file."""
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
