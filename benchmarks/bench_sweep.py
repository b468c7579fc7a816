"""The local sweep backend against the same runs one after another in one process.

A grid of 8 equal runs (one configuration, 8 seeds) is trained twice per repeat: by
``lw.sweep`` on a process pool as wide as the machine (pool start-up included), and by
calling ``run_one`` for each seed in this process. Both pin BLAS to one thread per run, so
they do the same arithmetic and must agree bit for bit. Reported: medians over the
repeats and their ratio (the pool's speed-up; the ideal is the number of workers).

Usage::

    .venv/bin/python benchmarks/bench_sweep.py [--repeats 3] [--epochs 500]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

import layerwise as lw  # noqa: E402
from layerwise.sweeps import expand_grid, prepare_data, run_one  # noqa: E402

N_RUNS = 8


def _cpu(who: str) -> float:
    """CPU seconds used so far by this process ("self") or its finished children."""
    try:
        import resource
    except ImportError:  # not on Windows
        return float("nan")
    usage = resource.getrusage(resource.RUSAGE_SELF if who == "self" else resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(*, repeats: int = 3, epochs: int = 500, n_jobs: int | None = None) -> dict:
    """Time 8 equal runs on the local pool and one after another; return the numbers.

    Parameters
    ----------
    repeats : int
        Timed repeats of each way; medians are reported.
    epochs : int
        Epochs per run (mini-batches of 32 on 750 samples of moons, a 64-64 network).
    n_jobs : int, optional
        Pool width; default every core.

    Returns
    -------
    dict
        ``runs``, ``workers``, ``serial_s`` and ``pool_s`` (median wall seconds for all
        8), ``speedup`` (serial_s / pool_s), ``efficiency`` (speedup / workers),
        ``seconds_per_run``, ``identical`` (the pool's numbers equal the serial ones) and
        ``serial_cpu_s`` / ``pool_cpu_s`` (CPU seconds of this process / of the pool's
        workers: equal work, so on a loaded machine the wall-time ratio is not the pool's
        fault), ``pool_overhead_s`` (median wall time of the pool on 8 runs of one epoch: starting
        and stopping the worker processes) and ``load_before`` (the 1-minute load average
        before timing: a busy machine has no spare cores for the pool).
    """
    workers = min(n_jobs or os.cpu_count() or 1, N_RUNS)
    data = prepare_data({"name": "moons", "n_samples": 1000})
    fixed = {"hidden": [64, 64], "epochs": epochs, "batch_size": 32, "lr": 0.05}
    config = expand_grid({}, fixed)[0]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    serial, pool, overhead, serial_cpu, pool_cpu = [], [], [], [], []
    identical = True
    for _ in range(repeats):
        start, cpu = time.perf_counter(), _cpu("self")
        rows = [run_one(config, seed, data) for seed in range(N_RUNS)]
        serial.append(time.perf_counter() - start)
        serial_cpu.append(_cpu("self") - cpu)

        start, cpu = time.perf_counter(), _cpu("children")
        result = lw.sweep({}, data, fixed=fixed, seeds=N_RUNS, n_jobs=workers, verbose=False)
        pool.append(time.perf_counter() - start)
        pool_cpu.append(_cpu("children") - cpu)
        identical &= [r["val_loss"] for r in result.table] == [r["val_loss"] for r in rows]
        identical &= all(r["status"] == "ok" for r in result.table)

        start = time.perf_counter()
        lw.sweep({}, data, fixed={**fixed, "epochs": 1}, seeds=N_RUNS, n_jobs=workers,
                 verbose=False)  # fmt: skip
        overhead.append(time.perf_counter() - start)
    serial_s, pool_s = statistics.median(serial), statistics.median(pool)
    return {
        "runs": N_RUNS,
        "workers": workers,
        "epochs": epochs,
        "seconds_per_run": serial_s / N_RUNS,
        "serial_s": serial_s,
        "pool_s": pool_s,
        "speedup": serial_s / pool_s,
        "efficiency": serial_s / pool_s / workers,
        "identical": identical,
        "pool_overhead_s": statistics.median(overhead),
        "serial_cpu_s": statistics.median(serial_cpu),
        "pool_cpu_s": statistics.median(pool_cpu),
        "load_before": load,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=500)
    ap.add_argument("--jobs", type=int, default=None)
    args = ap.parse_args(argv)
    for key, value in run(repeats=args.repeats, epochs=args.epochs, n_jobs=args.jobs).items():
        print(f"{key:>16}: {value:.4g}" if isinstance(value, float) else f"{key:>16}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
