"""``layerwise compare``: several learning rates and/or hidden layouts trained on the same
data from the same initial weights, one figure and one table; a comparison stopped by
Ctrl-C resumes where it stopped."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

import layerwise as lw
from layerwise._internal.files import atomic_write
from layerwise.cli._common import (
    DEFAULTS,
    CLIError,
    _final,
    _fmt,
    _hidden_text,
    _markdown,
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
    runs: dict[float | str, lw.History] = {}
    signum, k = None, 0
    for hidden in layouts:
        args.hidden = hidden
        # one set of initial weights per layout: every learning rate starts from the same point
        base = _build_model(args, data["X"].shape[1], out_dim, n_rows=len(y_train))
        for lr in rates:
            args.lr = lr
            if len(layouts) == 1:
                label: float | str = lr
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
    if stopped is None or signum is None:  # they are None together
        return 0
    return _report_interruption(args, stopped, signum)


def _compare_picture(
    args: argparse.Namespace,
    folder: Path,
    runs: dict[float | str, lw.History],
    layouts: list[list[int]],
    rates: list[float],
    signum: int | None,
) -> Path:
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


def _compare_run(
    args: argparse.Namespace,
    base: lw.Sequential,
    where: Path,
    label: float | str,
    data: dict[str, Any],
    y_train: np.ndarray,
    validation: tuple[np.ndarray, np.ndarray | None] | None,
) -> tuple[lw.History, int | None]:
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
