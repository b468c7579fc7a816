"""``make bench``: layerwise against a hand-written NumPy loop, PyTorch and scikit-learn.

Every workload's contenders run alternately in one process (round r runs each of them
once, in a rotated order), and the table reports medians over the rounds and ratios of
medians. Usage::

    .venv/bin/python benchmarks/run.py --out benchmarks/RESULTS.md [--quick]
"""

from __future__ import annotations

import argparse
import datetime
import gc
import os
import platform
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # `benchmarks` as a package, run as a script
sys.path.insert(0, str(ROOT / "src"))

from benchmarks import workloads as wl  # noqa: E402

import layerwise as lw  # noqa: E402


# ----------------------------------------------------------------- machine
def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def blas_info() -> list[dict]:
    from threadpoolctl import threadpool_info

    return threadpool_info()


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def matmul_rate(n: int = 2048, reps: int = 25) -> tuple[float, list[float]]:
    """Median GFLOP/s of an n x n float32 matrix product (2 n^3 flops), into a fixed out."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    c = np.empty_like(a)
    np.matmul(a, b, out=c)
    rates = []
    for _ in range(reps):
        t = time.perf_counter()
        np.matmul(a, b, out=c)
        rates.append(2 * n**3 / (time.perf_counter() - t) / 1e9)
    return statistics.median(rates), rates


# ----------------------------------------------------------------- timing and memory
def alternate(runners: dict, rounds: int) -> dict[str, list[float]]:
    """Seconds per call of each runner, run in turn; the order rotates every round."""
    names = list(runners)
    for name in names:  # warm-up: first-call costs (allocation, thread pools) left out
        runners[name]()
    times: dict[str, list[float]] = {k: [] for k in names}
    for r in range(rounds):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            gc.collect()
            t = time.perf_counter()
            runners[name]()
            times[name].append(time.perf_counter() - t)
    return times


def traced_peak(fn) -> int:
    """Peak bytes newly allocated (tracemalloc) while ``fn`` runs."""
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak - base


# ----------------------------------------------------------------- report
def fmt_time(s: float) -> str:
    if s < 1e-3:
        return f"{s * 1e6:.1f} µs"
    if s < 1:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.3f} s"


def mib(b: float) -> str:
    return f"{b / 2**20:.2f} MiB"


MATMUL = "float32 matmul 2048²"


def pick_torch_threads(runners: dict, epochs_per_run: int, rounds: int = 2) -> dict[str, float]:
    """PyTorch's best thread count for this workload, chosen by a pilot of ``rounds``
    alternating rounds of every runner (the conditions of the measurement itself: NumPy's
    BLAS threads and PyTorch's OpenMP threads both spin-wait after their work, and on 2
    cores a second PyTorch thread can lose 50x to them). The slower counts leave
    ``runners``."""
    keys = [k for k in runners if k.startswith("torch")]
    if len(keys) < 2:
        return {}
    times = alternate(runners, rounds)
    pilot = {k: statistics.median(times[k]) / epochs_per_run for k in keys}
    best = min(pilot, key=pilot.get)
    for k in keys:
        if k != best:
            del runners[k]
    return pilot


def matmul_runner(n: int = 2048):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    c = np.empty_like(a)
    return lambda: np.matmul(a, b, out=c)


def run_workload(w: wl.Workload, rate: float, *, quick: bool = False) -> dict:
    print(f"  {w.name}: {w.description}", flush=True)
    runners = dict(w.runners)
    pilot = pick_torch_threads(runners, w.epochs_per_run, rounds=1 if quick else 2)
    if w.matmul_probe:  # the machine is shared: measure the ceiling under the same load
        runners[MATMUL] = matmul_runner()
    times = alternate(runners, w.rounds)
    probe = times.pop(MATMUL, None)
    per = {k: statistics.median(v) / w.epochs_per_run for k, v in times.items()}
    spread = {k: (min(v) / w.epochs_per_run, max(v) / w.epochs_per_run) for k, v in times.items()}
    flops_factor = 2 if w.kind == "predict" else 6
    gflops = {k: flops_factor * w.n_weights * w.samples / t / 1e9 for k, t in per.items()}
    if probe is not None:
        rate = 2 * 2048**3 / statistics.median(probe) / 1e9
    torch_keys = [k for k in per if k.startswith("torch")]
    best_torch = min(torch_keys, key=per.get) if torch_keys else None
    mem = {}
    for k, make in w.memory.items():
        mem[k] = traced_peak(make())
    return dict(
        workload=w,
        per=per,
        spread=spread,
        gflops=gflops,
        frac={k: g / rate for k, g in gflops.items()},
        best_torch=best_torch,
        mem=mem,
        rate=rate,
        probe=probe,
        pilot=pilot,
    )


def existing_bytes(w: wl.Workload) -> int:
    """Data and parameters exist before fit is called: they are part of the peak."""
    return w.bound_parts.get("data", 0) + w.bound_parts.get("parameters", 0)


def sweep_section(*, quick: bool = False) -> list[str]:
    path = ROOT / "benchmarks" / "bench_sweep.py"
    if not path.exists():
        return ["## Sweep (pool vs serial)", "", "benchmarks/bench_sweep.py does not exist.", ""]
    try:
        from benchmarks import bench_sweep

        res = bench_sweep.run(repeats=1, epochs=10) if quick else bench_sweep.run()
    except Exception as exc:  # another engineer's module: report, never abort the bench
        return ["## Sweep (pool vs serial)", "", f"bench_sweep.run() failed: {exc!r}", ""]
    lines = ["## Sweep (pool vs serial)", "", "From `benchmarks/bench_sweep.py` (`run()`):", ""]
    if isinstance(res.get("speedup"), float):
        lines += [f"**Pool vs serial: {res['speedup']:.2f}× faster** for {res.get('runs')} "
                  f"equal runs on {res.get('workers')} workers.", ""]  # fmt: skip
    lines += ["| key | value |", "|---|---|"]
    for k, v in res.items():
        lines.append(f"| {k} | {v:.4g} |" if isinstance(v, float) else f"| {k} | {v} |")
    return lines + [""]


def target_rows(results: dict, rate: float) -> list[tuple[str, str, str, bool]]:
    rows = []
    for dt, goal in (("float32", 5.0), ("float64", 4.0)):  # issue 22's goals
        r = results.get(f"seed-sized {dt}")
        if r is None:
            continue
        p = r["per"]
        ratio = p[r["best_torch"]] / p["layerwise"]
        rows.append((f"seed-sized {dt}: ≥ {goal:g}× faster than PyTorch ({r['best_torch']})",
                     f"≥ {goal:.2f}×", f"{ratio:.2f}×", ratio >= goal))  # fmt: skip
        ratio = p["layerwise"] / p["numpy loop"]
        rows.append((f"seed-sized {dt}: ≤ 1.15× the hand-written NumPy loop",
                     "≤ 1.15×", f"{ratio:.2f}×", ratio <= 1.15))  # fmt: skip
    r = results.get("MNIST-shaped")
    if r is not None:
        p = r["per"]
        ratio = p[r["best_torch"]] / p["layerwise"]
        rows.append((f"MNIST-shaped: ≥ 1.5× faster than PyTorch ({r['best_torch']})",
                     "≥ 1.50×", f"{ratio:.2f}×", ratio >= 1.5))  # fmt: skip
        if "sklearn" in p:
            ratio = p["sklearn"] / p["layerwise"]
            rows.append(("MNIST-shaped: ≥ 1.35× faster than scikit-learn",
                         "≥ 1.35×", f"{ratio:.2f}×", ratio >= 1.35))  # fmt: skip
    r = results.get("wide")
    if r is not None:
        f = r["frac"]["layerwise"]
        rows.append((f"wide: ≥ 85% of the float32 matmul rate ({r['rate']:.0f} GFLOP/s, "
                     "timed in the same rounds)",
                     "≥ 85%", f"{100 * f:.0f}%", f >= 0.85))  # fmt: skip
    for name, r in results.items():
        w = r["workload"]
        if "layerwise" in r["mem"] and w.bound_bytes:
            peak = existing_bytes(w) + r["mem"]["layerwise"]
            ratio = peak / w.bound_bytes
            rows.append((f"{name}: peak training memory ≤ 1.3× bound",
                         "≤ 1.30×", f"{ratio:.2f}×", ratio <= 1.3))  # fmt: skip
    return rows


def render(results, rate, rates, info, started, elapsed, load0, load1, sweep) -> str:
    import sklearn
    import threadpoolctl
    import torch

    L = ["# Benchmark results", ""]
    L.append(f"Generated by `make bench` (`benchmarks/run.py`) on {started:%Y-%m-%d %H:%M} UTC, "
             f"in {elapsed:.0f} s.")  # fmt: skip
    L += ["", "## Machine", ""]
    L.append(f"- CPU: {cpu_model()}, {os.cpu_count()} logical cores ({platform.machine()})")
    for b in info:
        L.append(f"- {b['user_api']}: {b['internal_api']} {b.get('version')}, kernel "
                 f"`{b.get('architecture')}`, {b['num_threads']} threads "
                 f"({b.get('threading_layer')}), {Path(b['filepath']).name}")  # fmt: skip
    keys = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")
    env = {k: os.environ[k] for k in keys if k in os.environ}
    L.append(f"- environment: {env or 'no BLAS variables set'}")
    L.append(f"- float32 matmul rate (2048², median of {len(rates)}): **{rate:.1f} GFLOP/s** "
             f"(range {min(rates):.0f}–{max(rates):.0f})")  # fmt: skip
    L.append(f"- load average before / after: {load0} / {load1} (the machine is shared: "
             "other processes were running)")  # fmt: skip
    L.append(f"- versions: Python {platform.python_version()}, NumPy {np.__version__}, "
             f"layerwise {lw.__version__}, PyTorch {torch.__version__}, scikit-learn "
             f"{sklearn.__version__}, threadpoolctl {threadpoolctl.__version__}")  # fmt: skip
    L += ["", "## Targets", "", "| target | goal | measured | status |", "|---|---|---|---|"]
    for what, goal, got, ok in target_rows(results, rate):
        L.append(f"| {what} | {goal} | {got} | {'MET' if ok else '**MISSED**'} |")
    L += ["", "## Times", ""]
    L.append("Median time per epoch (prediction: per call) over alternating rounds; in brackets "
             "the fastest and slowest round. *vs layerwise* = contender's median / layerwise's "
             "median (> 1: layerwise is faster). GFLOP/s = 6 × weights × samples per epoch / "
             "time (prediction: 2 ×), and its fraction of the matmul rate.")  # fmt: skip
    for name, r in results.items():
        w = r["workload"]
        L += ["", f"### {name}", "", f"{w.description}; {w.rounds} rounds of "
              f"{w.epochs_per_run} epoch(s) each." if w.kind == "train" else
              f"{w.description}; {w.rounds} rounds.", ""]  # fmt: skip
        L += ["| contender | median | (min – max) | vs layerwise | GFLOP/s | of matmul |",
              "|---|---|---|---|---|---|"]  # fmt: skip
        base = r["per"]["layerwise"]
        for k, t in r["per"].items():
            lo, hi = r["spread"][k]
            best = " (best torch)" if k == r["best_torch"] else ""
            L.append(f"| {k}{best} | {fmt_time(t)} | ({fmt_time(lo)} – {fmt_time(hi)}) | "
                     f"{t / base:.2f}× | {r['gflops'][k]:.2f} | "
                     f"{100 * r['frac'][k]:.1f}% |")  # fmt: skip
        if r["probe"] is not None:
            p = sorted(r["probe"])
            L.append(
                f"| {MATMUL} (ceiling, same rounds) | {fmt_time(statistics.median(p))} | "
                f"({fmt_time(p[0])} – {fmt_time(p[-1])}) | | {r['rate']:.2f} | 100% |"
            )
        if r["pilot"]:
            L.append(
                "\nPyTorch thread pilot (2 alternating rounds with every contender; only the "
                "best count ran in the rounds): "
                + ", ".join(f"{k} {fmt_time(t)}" for k, t in r["pilot"].items())
                + "."
            )
        for note in w.notes:
            L.append(f"\n{note}.")
    L += ["", "## Peak memory during training", ""]
    L.append("Peak = data and parameters (they exist before `fit`) + the peak of memory newly "
             "allocated during the run, traced by `tracemalloc` (layerwise and the NumPy loop; "
             "PyTorch allocates outside Python's tracer: n/a). Bound = data + parameters + "
             "optimizer state + one batch of activations (input batch, Z and A of every layer) "
             "and gradients (dZ and dA_prev of every layer, dW and db).")  # fmt: skip
    L += ["", "| workload | bound | parts of the bound | layerwise peak | ratio "
          "| numpy loop peak | ratio |", "|---|---|---|---|---|---|---|"]  # fmt: skip
    for name, r in results.items():
        w = r["workload"]
        if not w.memory:
            continue
        parts = ", ".join(f"{k} {mib(v)}" for k, v in w.bound_parts.items() if v)
        cells = []
        for k in ("layerwise", "numpy loop"):
            peak = existing_bytes(w) + r["mem"][k]
            cells += [mib(peak), f"{peak / w.bound_bytes:.2f}×"]
        L.append(f"| {name} | {mib(w.bound_bytes)} | {parts} | " + " | ".join(cells) + " |")
    L += [""] + sweep
    for extra in ("NOTES.md", "CHANGES.md"):  # hand-written sections, kept beside run.py
        path = ROOT / "benchmarks" / extra
        if path.exists():
            L += [path.read_text().rstrip(), ""]
    return "\n".join(L) + "\n"


def quick_workloads() -> list[wl.Workload]:
    """The workloads of ``--quick``: the same networks on a few batches and rounds, PyTorch
    on one thread only (no pilot of thread counts), so that the whole smoke test takes
    about 30 s on an idle 2-core machine; its numbers are not for comparisons."""
    opt = "adam" if wl.adam_available() else "sgd"
    lr = 1e-3 if opt == "adam" else 0.05
    seed = [
        wl.training_workload(f"seed-sized {dt}", sizes=(2, 4, 1), hidden="tanh",
                             output="sigmoid", n=1000, dtype=getattr(np, dt), optimizer="sgd",
                             lr=0.5, batch_size=None, epochs_per_run=50, rounds=3,
                             torch_threads=(1,))
        for dt in ("float32", "float64")
    ]  # fmt: skip
    mnist = wl.training_workload("MNIST-shaped", sizes=(784, 256, 128, 10), hidden="relu",
                                 output="softmax", n=512, dtype=np.float32, optimizer=opt,
                                 lr=lr, batch_size=128, epochs_per_run=1, rounds=2,
                                 torch_threads=(1,))  # fmt: skip
    wide = wl.training_workload("wide", sizes=(784, 1024, 1024, 10), hidden="relu",
                                output="softmax", n=1024, dtype=np.float32, optimizer=opt,
                                lr=lr, batch_size=1024, epochs_per_run=1, rounds=2,
                                torch_threads=(1,))  # fmt: skip
    wide.matmul_probe = True
    predict = wl.prediction_workload(n=2000)
    predict.rounds = 3
    return [*seed, mnist, wide, predict]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "RESULTS.md"))
    ap.add_argument(
        "--quick",
        action="store_true",
        help="a smoke test of about 30 s: fewer samples, rounds and repeats (not for comparisons)",
    )
    ap.add_argument("--only", default=None, help="run only workloads whose name contains this")
    args = ap.parse_args(argv)
    started = datetime.datetime.now(datetime.UTC)
    t0 = time.perf_counter()
    load0 = load_average()
    info = blas_info()
    rate, rates = matmul_rate(reps=5 if args.quick else 25)
    print(f"float32 matmul: {rate:.1f} GFLOP/s", flush=True)
    results = {}
    for w in quick_workloads() if args.quick else wl.all_workloads():
        if args.only and args.only not in w.name:
            continue
        results[w.name] = run_workload(w, rate, quick=args.quick)
        r = results[w.name]
        print("    " + ", ".join(f"{k} {fmt_time(t)}" for k, t in r["per"].items()), flush=True)
    sweep = sweep_section(quick=args.quick) if not args.only else []
    if not args.only and not args.quick:  # the smoke test stays short: bench_busy.py --quick alone
        from benchmarks import bench_busy

        sweep += bench_busy.section(quick=args.quick)  # in a fresh process, pinned to 2 cores
    text = render(results, rate, rates, info, started, time.perf_counter() - t0, load0,
                  load_average(), sweep)  # fmt: skip
    Path(args.out).write_text(text)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
