"""``layerwise sweep``: the command-line face of :func:`layerwise.sweeps`.

The ``layerwise`` command registers it with ``configure_parser(subparser)`` and calls
``run_cli(args)``, which returns the exit status.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["configure_parser", "run_cli"]

_EPILOG = """example:
  layerwise sweep moons --hidden 4 16,8 32,16,8 --lr 0.1 0.01 0.005 --seeds 3 \\
      --epochs 200 --out runs/sweep
Every combination of the values given is trained with every seed; results.csv, one
history per run, curves.png and heatmap.png go to --out."""


def configure_parser(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the sweep's options to ``parser`` (a subcommand's parser); return it."""
    parser.description = "Train a grid of networks, every combination times every seed."
    parser.epilog = _EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    add = parser.add_argument
    # the vocabulary and defaults of `layerwise train` (tests/cli/test_common.py compares them)
    add("data", nargs="?", help="a data set name (moons, iris, ...) or a CSV file")
    add("--data", dest="data_option", metavar="DATA", help="the same as DATA")
    add(
        "--hidden",
        nargs="+",
        default=["16,8"],
        metavar="W[,W...]",
        help="hidden layouts, widths joined by commas: 4 16,8 ('none' or 0: no hidden "
        "layer; default 16,8)",
    )
    add("--lr", nargs="+", default=["0.05"], metavar="LR", help="learning rates (default 0.05)")
    add("--activation", nargs="+", metavar="NAME", help="hidden activations (default tanh)")
    add("--optimizer", nargs="+", metavar="NAME", help="optimizers (default sgd)")
    add("--batch-size", nargs="+", metavar="N", help="batch sizes; 'full' for full batch")
    add("--epochs", nargs="+", default=["200"], metavar="N", help="epochs (default 200)")
    add("--seeds", default="1", metavar="N", help="seeds per configuration (default 1)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--dask", metavar="ADDRESS", help="run on the Dask scheduler at ADDRESS")
    where.add_argument("--local-cluster", metavar="N", help="run on a local Dask cluster of N")
    add("--jobs", metavar="N", help="worker processes of the local pool (default: the cores)")
    add("--out", required=True, metavar="DIR", help="folder for results.csv, histories, plots")
    add("--resume", action="store_true", help="continue the sweep in --out; skip finished runs")
    add("--metric", default="val_loss", help="ranking metric (default val_loss)")
    add("--top", default="10", metavar="N", help="configurations to list (default 10)")
    add("--quiet", action="store_true", help="no progress bar")
    return parser


class _Usage(ValueError):
    """A bad command-line value: one line on stderr, exit status 2."""


def _int(text: str, option: str, minimum: int = 1) -> int:
    try:
        value = int(text)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise _Usage(f"{option} takes integers >= {minimum}, got {text!r}")
    return value


def _float(text: str, option: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise _Usage(f"{option} takes numbers, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise _Usage(f"{option} takes positive numbers, got {text!r}")
    return value


def _hidden(text: str) -> list[int]:
    if text.strip() in ("0", "none", ""):
        return []
    return [_int(part, "--hidden") for part in text.split(",")]


def _grid(args: argparse.Namespace) -> dict[str, list[Any]]:
    grid: dict[str, list[Any]] = {
        "hidden": [_hidden(h) for h in args.hidden],
        "lr": [_float(v, "--lr") for v in args.lr],
        "epochs": [_int(v, "--epochs") for v in args.epochs],
    }
    if args.activation:
        grid["activation"] = list(args.activation)
    if args.optimizer:
        grid["optimizer"] = list(args.optimizer)
    if args.batch_size:
        grid["batch_size"] = [
            None if b == "full" else _int(b, "--batch-size") for b in args.batch_size
        ]
    return grid


def _data(text: str) -> Any:
    if text.lower().endswith(".csv"):
        from layerwise import datasets

        if not Path(text).is_file():
            raise _Usage(f"--data: no such file {text!r}")
        return datasets.load_csv(text)
    return text


def _fmt(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(map(str, value)) or "none"
    if isinstance(value, float):
        return f"{value:g}"
    return "full" if value is None else str(value)


def run_cli(args: argparse.Namespace) -> int:
    """Run the sweep that ``args`` describe, print the best configurations; exit status."""
    from layerwise.sweeps._api import sweep

    try:
        grid = _grid(args)
        seeds = _int(args.seeds, "--seeds")
        top = _int(args.top, "--top")
        local_cluster = _int(args.local_cluster, "--local-cluster") if args.local_cluster else None
        jobs = _int(args.jobs, "--jobs") if args.jobs else None
        if args.data and args.data_option and args.data != args.data_option:
            raise _Usage(f"give the data once: DATA is {args.data!r}, --data {args.data_option!r}")
        if not (args.data or args.data_option):
            raise _Usage("give the data: a data set name or a CSV file, e.g. 'moons'")
        data = _data(args.data or args.data_option)
        dask = bool(args.dask or local_cluster)
        result = sweep(
            grid, data, fixed={} if args.activation else {"activation": "tanh"}, seeds=seeds,
            backend="dask" if dask else "local",
            scheduler=args.dask, local_cluster=local_cluster, n_jobs=jobs, out=args.out,
            resume=args.resume, metric=args.metric,
            verbose=False if args.quiet else "auto",
        )  # fmt: skip
    except (_Usage, ValueError, TypeError, FileExistsError, NotADirectoryError,
            BlockingIOError) as exc:  # fmt: skip
        print(f"layerwise sweep: error: {exc}", file=sys.stderr)
        return 2
    except ImportError as exc:
        print(f"layerwise sweep: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM: keep what is finished, say so
        return _interrupted(args, exc)

    out = Path(args.out)
    (out / "interrupted.json").unlink(missing_ok=True)  # a resumed sweep that finished
    varying = result.grid_keys or ["hidden"]
    ranked = result.by_config()
    header = ["#", *varying, f"{result.metric} mean", "std", "ok", "failed"]
    lines = []
    for i, e in enumerate(ranked[:top], 1):
        mean = "-" if e["mean"] is None else f"{e['mean']:.4g}"
        std = "-" if e["mean"] is None or e["n"] < 2 else f"{e['std']:.2g}"
        cells = [str(i), *(_fmt(e[k]) for k in varying), mean, std, str(e["n"])]
        lines.append([*cells, str(e["n_failed"])])
    widths = [max(len(r[c]) for r in [header, *lines]) for c in range(len(header))]
    for r in [header, *lines]:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip())
    failed = sum(r["status"] != "ok" for r in result.table)
    print(
        f"\n{len(result.table)} runs ({result.n_executed} run now, {failed} failed), "
        f"{len(ranked)} configurations"
    )
    _print_failures(result.table, varying)
    print(f"results:   {out / 'results.csv'}")
    print(f"histories: {out / 'histories'}/<run_id>.json")
    if failed == len(result.table):
        print("no pictures: no run finished (see why above)", file=sys.stderr)
        return 1
    for p in _pictures(result, out):
        print(f"picture:   {p}")
    return 0


def _interrupted(args: argparse.Namespace, exc: KeyboardInterrupt) -> int:
    """A sweep stopped by a signal: every finished run is already in results.csv (written
    run by run); mark the folder, draw the finished runs, print the resume command."""
    import json
    import signal

    from layerwise._internal.files import atomic_write
    from layerwise.cli._interrupt import exit_status, resume_command, signal_name
    from layerwise.sweeps._result import SweepResult

    signum = int(getattr(exc, "signum", signal.SIGINT))
    out = Path(args.out)
    command = resume_command(getattr(args, "argv", []), drop_flags=("--resume",), add=("--resume",))
    try:
        result = SweepResult.load(out, metric=args.metric)
    except (OSError, ValueError, KeyError):
        result = None
    done = 0 if result is None else sum(r["status"] == "ok" for r in result.table)
    info = {"signal": signal_name(signum), "runs_finished": done, "resume": command}
    if out.is_dir():
        with atomic_write(out / "interrupted.json") as fh:
            json.dump(info, fh, indent=2)
            fh.write("\n")
    print(
        f"layerwise sweep: interrupted by {info['signal']}: {done} finished run(s) kept in "
        f"{out / 'results.csv'} (marked in {out / 'interrupted.json'}); runs in progress "
        "run again on resume",
        file=sys.stderr,
    )
    if result is not None and done:
        for p in _pictures(result, out):
            print(f"picture:   {p}")
    print(f"resume with: {command}")
    return exit_status(signum)


def _pictures(result: Any, out: Path) -> list[Path]:
    pictures = []
    try:
        result.plot_curves(logy="both", path=out / "curves.png")
        pictures.append(out / "curves.png")
        if len(result.grid_keys) >= 2:
            x, y = result.grid_keys[-1], result.grid_keys[0]
            result.plot_heatmap(x, y, path=out / "heatmap.png")
            pictures.append(out / "heatmap.png")
    except ValueError as exc:  # nothing to draw
        print(f"no pictures: {str(exc).split('; try')[0]}", file=sys.stderr)
    return pictures


def _print_failures(table: list[dict[str, Any]], varying: list[str], shown: int = 3) -> None:
    """Why each failed run failed: runs grouped by their error, a few of each named."""
    by_error: dict[str, list[dict[str, Any]]] = {}
    for row in table:
        if row["status"] != "ok":
            error = (row["error"] or "no error recorded").strip().splitlines()
            by_error.setdefault(error[0] if error else "no error recorded", []).append(row)
    if not by_error:
        return
    print(f"failed runs ({sum(map(len, by_error.values()))}):")
    for error, rows in by_error.items():
        print(f"  {len(rows)} run{'s' if len(rows) > 1 else ''}: {error}")
        for row in rows[:shown]:
            settings = ", ".join(f"{k}={_fmt(row[k])}" for k in varying)
            print(f"    {row['run_id']}  {settings}, seed={row['seed']}")
        if len(rows) > shown:
            print(f"    ... and {len(rows) - shown} more (results.csv has every error)")
