"""Before/after A/B of ``fit`` in ONE process, alternating every round.

``before`` is layerwise at a commit (default ``573151a``, the start of the plain core, issue 22),
extracted with ``git archive`` into a temporary folder and imported as ``layerwise_before``;
``after`` is this tree's layerwise. Same data, initial weights and settings as
``benchmarks/workloads.py``. Prints a markdown table of medians. Usage::

    .venv/bin/python benchmarks/ab_before_after.py [--commit REV] [--cpu1] [--quick]
                                                   [--only NAME] [--rounds N]

``--cpu1``: CPU time (``time.process_time``) at one BLAS thread on both sides, the measure
least moved by other processes on a shared machine.
"""

from __future__ import annotations

import argparse
import io
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parent.parent
WORKLOADS = [
    dict(name="seed-sized float32", sizes=(2, 4, 1), act="tanh", out="sigmoid", loss="bce",
         n=1000, dtype="float32", opt="sgd", lr=0.5, bs=None, epochs=200, rounds=31),
    dict(name="seed-sized float64", sizes=(2, 4, 1), act="tanh", out="sigmoid", loss="bce",
         n=1000, dtype="float64", opt="sgd", lr=0.5, bs=None, epochs=200, rounds=31),
    dict(name="MNIST-shaped", sizes=(784, 256, 128, 10), act="relu", out="softmax",
         loss="cce", n=9984, dtype="float32", opt="adam", lr=1e-3, bs=128, epochs=1, rounds=11),
    dict(name="wide", sizes=(784, 1024, 1024, 10), act="relu", out="softmax", loss="cce",
         n=8192, dtype="float32", opt="adam", lr=1e-3, bs=1024, epochs=1, rounds=7),
]  # fmt: skip


def old_package(commit: str, into: Path) -> None:
    """``src/layerwise`` at ``commit`` as the package ``layerwise_before`` under ``into``."""
    tar = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "src/layerwise"],
                         check=True, capture_output=True).stdout  # fmt: skip
    with tarfile.open(fileobj=io.BytesIO(tar)) as t:
        t.extractall(into, filter="data")
    pkg = into / "layerwise_before"
    (into / "src" / "layerwise").rename(pkg)
    for f in pkg.rglob("*.py"):
        f.write_text(re.sub(r"\blayerwise\b", "layerwise_before", f.read_text()))


def data(n, d, k, dtype, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)).astype(dtype)
    W = rng.standard_normal((d, k))
    if k == 1:
        return X, (X @ W[:, 0] + 0.3 * rng.standard_normal(n) > 0).astype(dtype)
    return X, np.argmax(X @ W + rng.standard_normal((n, k)), axis=1)


def measure(w, A, B, cpu1: bool) -> dict[str, float]:
    s = w["sizes"]
    X, y = data(w["n"], s[0], s[-1], w["dtype"])

    def build(lw):
        return lw.mlp(s[0], list(s[1:-1]), s[-1], activation=w["act"],
                      output_activation=w["out"], seed=0, dtype=w["dtype"])  # fmt: skip

    kw = dict(loss=w["loss"], optimizer=w["opt"], lr=w["lr"], epochs=w["epochs"],
              batch_size=w["bs"], verbose=False)  # fmt: skip
    mb, ma = build(B), build(A)
    runs = {"before": lambda: mb.fit(X, y, **kw),
            "after": lambda: ma.fit(X, y, **({"threads": 1} if cpu1 else {}), **kw)}  # fmt: skip
    if w["bs"] is not None and not cpu1:
        m2 = build(A)
        runs["after, threads=2"] = lambda: m2.fit(X, y, threads=2, **kw)
    clock = time.process_time if cpu1 else time.perf_counter
    for f in runs.values():
        f()  # warm-up
    times: dict[str, list[float]] = {k: [] for k in runs}
    keys = list(runs)
    for r in range(w["rounds"]):
        for k in keys[r % len(keys) :] + keys[: r % len(keys)]:
            t0 = clock()
            runs[k]()
            times[k].append((clock() - t0) / w["epochs"])
    return {k: statistics.median(v) for k, v in times.items()}


def calls_per_epoch(w, lw) -> float:
    """Python and C function calls per epoch of ``fit`` (sys.setprofile counts both)."""
    s = w["sizes"]
    X, y = data(w["n"], s[0], s[-1], w["dtype"])
    model = lw.mlp(s[0], list(s[1:-1]), s[-1], activation=w["act"], output_activation=w["out"],
                   seed=0, dtype=w["dtype"])  # fmt: skip
    kw = dict(loss=w["loss"], optimizer=w["opt"], lr=w["lr"], batch_size=w["bs"], verbose=False)
    model.fit(X, y, epochs=1, **kw)  # first calls: imports, optimizer state
    epochs = 20 if w["bs"] is None else 1
    count = [0]

    def profile(frame, event, arg):
        if event in ("call", "c_call"):
            count[0] += 1

    sys.setprofile(profile)
    try:
        model.fit(X, y, epochs=epochs, **kw)
    finally:
        sys.setprofile(None)
    return count[0] / epochs


def fmt(t: float) -> str:
    return f"{t * 1e6:.1f} µs" if t < 1e-3 else f"{t * 1e3:.2f} ms"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--commit", default="573151a", help="the 'before' commit")
    ap.add_argument("--cpu1", action="store_true", help="CPU time at one BLAS thread")
    ap.add_argument("--quick", action="store_true", help="3 rounds each (a smoke run)")
    ap.add_argument("--only", default="", help="workloads whose name contains this")
    ap.add_argument("--rounds", type=int, default=0, help="rounds per workload (0: its own)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        old_package(args.commit, Path(tmp))
        sys.path[:0] = [tmp, str(ROOT / "src")]
        import layerwise_before as B

        import layerwise as A

        print(
            "| workload | calls/epoch before | after | time/epoch before | after | "
            "after / before | after, threads=2 |"
        )
        print("|---|---|---|---|---|---|---|")  # fmt: skip
        with threadpool_limits(1) if args.cpu1 else threadpool_limits(None):
            for w in [w for w in WORKLOADS if args.only in w["name"]]:
                if args.quick or args.rounds:
                    w["rounds"] = args.rounds or 3
                med = measure(w, A, B, args.cpu1)
                t2 = fmt(med["after, threads=2"]) if "after, threads=2" in med else "-"
                cb, ca = calls_per_epoch(w, B), calls_per_epoch(w, A)
                print(f"| {w['name']} | {cb:.0f} | {ca:.0f} | {fmt(med['before'])} | "
                      f"{fmt(med['after'])} | {med['after'] / med['before']:.3f}× | {t2} |",
                      flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
