"""``sweep``: every configuration of a grid times every seed, each an independent training."""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import numbers
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from layerwise.sweeps._backends import Rows, Runner, Task, iter_dask, iter_local, iter_serial
from layerwise.sweeps._data import SweepData, prepare_data
from layerwise.sweeps._result import SweepResult, _check_metric, _check_mode
from layerwise.sweeps._runs import expand_grid, run_id, run_one
from layerwise.sweeps._store import LOST, Store, make_row
from layerwise.training import History

__all__ = ["sweep"]

#: called with each finished row, as it arrives
OnResult = Callable[[dict[str, Any]], Any]


def _check_seeds(seeds: Any) -> list[int]:
    if isinstance(seeds, numbers.Integral) and not isinstance(seeds, bool):
        if seeds < 1:
            raise ValueError(f"seeds must be a positive count or a list of seeds, got {seeds}")
        return list(range(int(seeds)))
    if isinstance(seeds, Sequence) and not isinstance(seeds, str) and seeds:
        out = []
        for s in seeds:
            if isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 0:
                raise ValueError(f"seeds must be non-negative integers, got {seeds!r}")
            out.append(int(s))
        if len(set(out)) != len(out):
            raise ValueError(f"seeds has repeats: {seeds!r}; each seed once")
        return out
    raise TypeError(f"seeds must be a count (3) or a list of seeds ([0, 1, 2]), got {seeds!r}")


def _cores() -> int:
    """The cores this process may use (its CPU affinity, which os.cpu_count ignores)."""
    if hasattr(os, "sched_getaffinity"):
        return max(len(os.sched_getaffinity(0)), 1)
    return os.cpu_count() or 1


def _check_count(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def sweep(
    grid: Mapping[str, Sequence[Any]],
    data: Any,
    *,
    fixed: Mapping[str, Any] | None = None,
    seeds: int | Sequence[int] = 1,
    backend: str = "local",
    scheduler: Any = None,
    local_cluster: int | None = None,
    n_jobs: int | None = None,
    out: str | os.PathLike | None = None,
    resume: bool = False,
    metric: str = "val_loss",
    retries: int = 2,
    verbose: bool | str = "auto",
    on_result: OnResult | None = None,
    runner: Runner | None = None,
) -> SweepResult:
    """Train every configuration of ``grid`` with every seed, in parallel, and collect.

    Each run builds ``lw.mlp`` from its configuration with its seed, trains it on the
    training part of ``data`` and records its validation loss every epoch. Every run is
    a pure function of ``(configuration, seed, data)`` with BLAS on one thread, so the
    same grid gives the same numbers, bit for bit, on any backend and any number of
    workers (on one kind of CPU: BLAS kernels differ between CPU types).

    Parameters
    ----------
    grid : dict of str to list
        The settings to vary and their values, e.g. ``{"hidden": [[4], [16, 8]],
        "lr": [0.1, 0.01], "activation": ["relu", "tanh"]}``. Settings: ``hidden``,
        ``activation``, ``optimizer``, ``lr``, ``epochs``, ``batch_size``, ``init``,
        ``dtype``, ``task``, ``output_activation``, ``loss`` and other ``fit`` settings.
    data : str, dict, (X, y) or (X_train, y_train, X_val, y_val)
        A data set name of :func:`layerwise.datasets.load` (split 75/25 and standardised),
        ``{"name": ..., **load_options}``, arrays to split 75/25, or a given split. The
        task (binary, multiclass, regression) picks the output layer and the loss.
    fixed : dict, optional
        Settings shared by every configuration. Defaults: ``hidden=[16]``,
        ``activation="relu"``, ``optimizer="sgd"``, ``lr=0.01``, ``epochs=100``,
        ``batch_size=None`` (full batch).
    seeds : int or list of int, default 1
        A count (seeds 0..n-1) or the seeds themselves.
    backend : {"local", "dask"}, default "local"
        "local": a pool of spawned processes on this machine (in this process when one
        worker). "dask": ``dask.distributed`` (``pip install 'layerwise[dask]'``).
    scheduler : str or dask.distributed.Client, optional
        Dask only: the address of a running scheduler (``"tcp://10.0.0.5:8786"``) or a
        Client. Without it (and without ``local_cluster``), a LocalCluster is started.
    local_cluster : int, optional
        Dask only: start a LocalCluster of this many worker processes on loopback.
    n_jobs : int, optional
        Local: the number of worker processes (default: the cores, at most the runs).
    out : str or PathLike, optional
        A folder: ``results.csv`` gets a row as each run finishes and
        ``histories/<run_id>.json`` its history. It must not hold a sweep already,
        unless ``resume``.
    resume : bool, default False
        Continue the sweep in ``out``: runs already recorded are not run again (except
        runs whose worker died, which are tried again).
    metric : str, default "val_loss"
        The result's default ranking metric (see :meth:`SweepResult.by_config`).
    retries : int, default 2
        How many more times a run is tried when its worker process dies.
    verbose : bool or "auto", default "auto"
        A progress bar on stderr; "auto": when stderr is a terminal.
    on_result : callable, optional
        Called in this process with each new row as it arrives (after it is written to
        ``out``). An exception it raises stops the sweep; finished runs stay recorded.
    runner : callable, optional
        ``runner(config, seed, data) -> dict`` in place of :func:`run_one` (same result
        keys); must be importable by the workers (a module-level function).

    Returns
    -------
    SweepResult

    Examples
    --------
    >>> import layerwise as lw
    >>> result = lw.sweep({"lr": [0.5, 0.1]}, "moons", fixed={"epochs": 5}, n_jobs=1,
    ...                   verbose=False)
    >>> [row["lr"] for row in result.table]
    [0.5, 0.1]
    >>> result.best()["lr"]
    0.5
    """
    _check_args(backend, scheduler, local_cluster, retries, verbose, resume, out)
    return _run(
        grid, data, fixed=fixed, seeds=seeds, backend=backend, scheduler=scheduler,
        local_cluster=_check_count(local_cluster, "local_cluster"),
        n_jobs=_check_count(n_jobs, "n_jobs"), out=out, resume=resume,
        metric=_check_metric(metric), retries=retries, verbose=verbose, on_result=on_result,
        runner=run_one if runner is None else runner,
    )  # fmt: skip


def _run(
    grid: Mapping[str, Sequence[Any]],
    data: Any,
    *,
    fixed: Mapping[str, Any] | None,
    seeds: int | Sequence[int],
    backend: str,
    scheduler: Any,
    local_cluster: int | None,
    n_jobs: int | None,
    out: str | os.PathLike | None,
    resume: bool,
    metric: str,
    retries: int,
    verbose: bool | str,
    on_result: OnResult | None,
    runner: Runner,
) -> SweepResult:
    """:func:`sweep` after its arguments are checked."""
    _check_mode(None, metric)
    seed_list = _check_seeds(seeds)
    configs = expand_grid(grid, fixed)
    sdata = prepare_data(data)
    keys, tasks, manifest = _plan(grid, fixed, configs, seed_list, sdata)
    ids = [run_id(config, seed) for config, seed in tasks]
    config_of = dict(zip(ids, (c for c, _ in tasks)))
    store = Store(out, keys) if out is not None else None
    try:
        rows, histories = _recorded(store, resume, manifest, config_of, keys)
        todo = [t for t, rid in zip(tasks, ids) if rid not in rows]
        n_workers = min(n_jobs or local_cluster or _cores(), max(len(todo), 1))
        if not todo or n_workers == 1:
            runs = iter_serial(todo, sdata, runner)
        elif backend == "dask":
            runs = iter_dask(
                todo, sdata, runner, scheduler=scheduler, n_workers=n_workers, retries=retries
            )
        else:
            runs = iter_local(todo, sdata, runner, n_workers=n_workers, retries=retries)
        progress = _Progress(len(tasks), len(rows), metric, verbose)
        executed = _collect(runs, store, rows, histories, config_of, keys, progress, on_result)
    finally:
        if store is not None:
            store.close()
    table = [rows[rid] for rid in ids]
    return SweepResult(
        table,
        {rid: histories[rid] for rid in ids},
        metric=metric,
        keys=keys,
        grid_keys=[k for k, v in grid.items() if len(v) > 1],
        out=out,
        n_executed=executed,
    )


def _plan(
    grid: Mapping[str, Sequence[Any]],
    fixed: Mapping[str, Any] | None,
    configs: list[dict[str, Any]],
    seed_list: list[int],
    sdata: SweepData,
) -> tuple[list[str], list[Task], dict[str, Any]]:
    """The displayed keys, the (config, seed) tasks in grid order, and the folder's manifest."""
    keys = [*grid, *(k for k in (fixed or {}) if k not in grid)]
    tasks = [(config, seed) for config in configs for seed in seed_list]
    manifest = {
        "data": sdata.description,
        "data_sha256": sdata.fingerprint(),
        "grid": {k: [c[k] for c in configs] for k in grid},  # canonical, for load()
        "fixed": {k: configs[0][k] for k in keys if k not in grid},
        "seeds": seed_list,
    }
    return keys, tasks, manifest


def _check_args(
    backend: str,
    scheduler: Any,
    local_cluster: int | None,
    retries: int,
    verbose: bool | str,
    resume: bool,
    out: str | os.PathLike | None,
) -> None:
    """Refuse a bad argument of :func:`sweep` before any work, and a sweep started by a
    worker importing the main script."""
    if getattr(multiprocessing.current_process(), "_inheriting", False):
        raise RuntimeError(
            "lw.sweep was called while a worker process was importing the main script; "
            "put the sweep under `if __name__ == '__main__':` so that workers can import it"
        )
    if backend not in ("local", "dask"):
        raise ValueError(f"backend must be 'local' or 'dask', got {backend!r}")
    if backend == "local" and (scheduler is not None or local_cluster is not None):
        raise ValueError("scheduler and local_cluster need backend='dask'")
    if scheduler is not None and local_cluster is not None:
        raise ValueError("give scheduler (a running cluster) or local_cluster, not both")
    if isinstance(retries, bool) or not isinstance(retries, numbers.Integral) or retries < 0:
        raise ValueError(f"retries must be an integer >= 0, got {retries!r}")
    if verbose not in (True, False, "auto"):
        raise ValueError(f"verbose must be True, False or 'auto', got {verbose!r}")
    if resume and out is None:
        raise ValueError("resume=True needs out=, the folder of the sweep to continue")


def _recorded(
    store: Store | None,
    resume: bool,
    manifest: dict[str, Any],
    config_of: dict[str, dict[str, Any]],
    keys: list[str],
) -> tuple[dict[str, dict[str, Any]], dict[str, History]]:
    """The rows and histories of this grid's runs already in the folder (locked from here
    on); runs whose worker was lost, or whose history is missing, are left to run again."""
    rows: dict[str, dict[str, Any]] = {}
    histories: dict[str, History] = {}
    if store is None:
        return rows, histories
    for raw in store.open(resume=resume, manifest=manifest):  # later rows win
        rid = raw["run_id"]
        if rid not in config_of:
            continue  # a run of an earlier grid: stays in the file, not in this result
        history = store.read_history(rid)
        if (raw["status"] == "failed" and (raw["error"] or "").startswith(LOST)) or (
            history is None
        ):
            rows.pop(rid, None)
            continue
        rows[rid] = make_row(raw, config_of[rid], keys)
        histories[rid] = History.from_dict(history)
    return rows, histories


class _Progress:
    """The progress bar on stderr, with the best metric so far and the failures."""

    def __init__(self, total: int, done: int, metric: str, verbose: bool | str) -> None:
        from tqdm.auto import tqdm

        show = sys.stderr.isatty() if verbose == "auto" else bool(verbose)
        self.bar = tqdm(total=total, initial=done, unit="run", disable=not show,
                        file=sys.stderr, desc="sweep")  # fmt: skip
        self.metric, self.best, self.failed = metric, math.inf, 0
        self.sign = -1.0 if _check_mode(None, metric) == "max" else 1.0

    def update(self, row: dict[str, Any]) -> None:
        if row["status"] == "ok" and row.get(self.metric) is not None:
            self.best = min(self.best, self.sign * row[self.metric])
        self.failed += row["status"] != "ok"
        self.bar.update(1)
        self.bar.set_postfix(
            {f"best {self.metric}": f"{self.sign * self.best:.4g}", "failed": self.failed}
        )


def _collect(
    runs: Rows,
    store: Store | None,
    rows: dict[str, dict[str, Any]],
    histories: dict[str, History],
    config_of: dict[str, dict[str, Any]],
    keys: list[str],
    progress: _Progress,
    on_result: OnResult | None,
) -> int:
    """Record each finished run (file first, then the table); return how many ran."""
    executed = 0
    try:
        with contextlib.closing(runs):
            for raw in runs:
                history = raw.pop("history")
                row = make_row(raw, config_of[raw["run_id"]], keys)
                if store is not None:
                    store.append(row, history)
                rows[row["run_id"]] = row
                histories[row["run_id"]] = History.from_dict(history)
                executed += 1
                progress.update(row)
                if on_result is not None:
                    on_result(row)
    finally:
        progress.bar.close()
    return executed
