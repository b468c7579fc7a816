"""Where runs execute: in this process, on a local process pool, or on a Dask cluster.

Each backend is a generator of finished rows (from :func:`layerwise.sweeps._runs.execute`)
in the order runs finish; closing it stops the work and frees the workers.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Generator, Sequence
from typing import Any

from layerwise.sweeps._runs import execute, run_id
from layerwise.sweeps._store import LOST
from layerwise.training import History

#: one run: its configuration and its seed
Task = tuple[dict[str, Any], int]
#: trains one run: ``runner(config, seed, data)`` -> its results (see ``run_one``)
Runner = Callable[..., dict[str, Any]]
#: what a backend is: a generator of finished rows, closed to stop the work
Rows = Generator[dict[str, Any], None, None]


def failed_row(config: dict[str, Any], seed: int, error: str) -> dict[str, Any]:
    """The row of a run that failed outside its own code (no result, no history)."""
    return {
        "run_id": run_id(config, seed),
        "seed": seed,
        "status": "failed",
        "error": error,
        "history": History().to_dict(),
    }


def lost_row(config: dict[str, Any], seed: int, detail: str) -> dict[str, Any]:
    """The row of a run whose worker died and was not brought back by retries."""
    return failed_row(config, seed, f"{LOST}: {detail}")


def iter_serial(tasks: Sequence[Task], data: Any, runner: Runner) -> Rows:
    """One run after another in this process."""
    for config, seed in tasks:
        yield execute(runner, config, seed, data)


# ---------------------------------------------------------------------------
# Local process pool

_WORKER_DATA: Any = None


def _init_worker(data: Any, started: Any, parent: int) -> None:
    # The data reach each worker once, when it starts, not with every run.
    global _WORKER_DATA
    _WORKER_DATA = data
    _exit_with(parent)
    started.set()


def _exit_with(parent: int, every: float = 0.5) -> None:
    """End this worker when the sweep's process ``parent`` dies. The pool stops its workers
    when the sweep ends in any way it sees, but after ``kill -9`` nobody is left to: the
    workers would be re-parented (to PID 1) and train on, unseen, to the end."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        os._exit(1)

    if os.getppid() != parent:  # already gone while this worker started
        os._exit(1)
    threading.Thread(target=watch, name="layerwise-parent-watch", daemon=True).start()


def _pool_task(runner: Runner, config: dict[str, Any], seed: int) -> dict[str, Any]:
    return execute(runner, config, seed, _WORKER_DATA)


def iter_local(
    tasks: Sequence[Task], data: Any, runner: Runner, *, n_workers: int, retries: int
) -> Rows:
    """Runs on a ``ProcessPoolExecutor`` of ``n_workers`` spawned processes.

    A worker that dies (killed, out of memory, a crash in C code) breaks the whole pool and
    every run in flight with it, without saying which run was to blame. The runs in flight
    then become suspects, each run again alone in a fresh pool: an innocent one finishes,
    and one that kills its worker while alone more than ``retries`` times is recorded as
    failed. At most ``n_workers`` runs are handed to the pool at once, so that "in flight"
    means "running".
    """
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    # spawn, not fork: a forked child inherits the BLAS thread pool's locks mid-state.
    context = multiprocessing.get_context("spawn")
    pending: deque[int] = deque(range(len(tasks)))
    suspects: deque[int] = deque()
    crashes: Counter[int] = Counter()
    inflight: dict[Any, tuple[int, bool]] = {}
    pool: ProcessPoolExecutor | None = None
    started = context.Event()  # set by the first worker that gets through its start-up

    def lost(i: int, alone: bool) -> dict[str, Any] | None:
        if alone:
            crashes[i] += 1
            if crashes[i] > retries:
                return lost_row(
                    *tasks[i], f"its worker process died each of the {crashes[i]} times it ran "
                    "alone (killed, out of memory, or a crash outside Python)",
                )  # fmt: skip
        suspects.append(i)
        return None

    try:
        while pending or suspects or inflight:
            if pool is None:
                pool = ProcessPoolExecutor(
                    max_workers=n_workers, mp_context=context,
                    initializer=_init_worker, initargs=(data, started, os.getpid()),
                )  # fmt: skip
            broken = False
            try:
                if suspects and not inflight:
                    fut = pool.submit(_pool_task, runner, *tasks[suspects[0]])
                    inflight[fut] = (suspects.popleft(), True)
                while not suspects and pending and len(inflight) < n_workers:
                    fut = pool.submit(_pool_task, runner, *tasks[pending[0]])
                    inflight[fut] = (pending.popleft(), False)
            except BrokenProcessPool:  # broke since the last wait; that run stays queued
                broken = True
            done: set[Any] = set()
            if not broken:
                done, _ = wait(list(inflight), return_when=FIRST_COMPLETED)
                broken = any(isinstance(f.exception(), BrokenProcessPool) for f in done)
            if broken:
                pool.shutdown(wait=True, cancel_futures=True)  # settles every future
                pool, done = None, set(inflight)
                if not started.is_set():
                    raise RuntimeError(
                        "the sweep's worker processes die as they start, before any run: "
                        "see their error above. In a script, call lw.sweep under "
                        "`if __name__ == '__main__':` (each worker imports the script); or "
                        "use n_jobs=1 to run in this process"
                    )
            for fut in done:
                i, alone = inflight.pop(fut)
                exc = fut.exception()
                if exc is None:
                    yield fut.result()
                elif isinstance(exc, BrokenProcessPool):
                    row = lost(i, alone)
                    if row is not None:
                        yield row
                else:  # e.g. a runner that cannot be pickled
                    yield failed_row(*tasks[i], f"{type(exc).__name__}: {exc}")
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


# ---------------------------------------------------------------------------
# Dask


def iter_dask(
    tasks: Sequence[Task],
    data: Any,
    runner: Runner,
    *,
    scheduler: Any,
    n_workers: int,
    retries: int,
) -> Rows:
    """Runs as Dask futures, on the cluster at ``scheduler`` (an address or a ``Client``)
    or on a new ``LocalCluster`` of ``n_workers`` single-threaded worker processes.

    ``retries`` is passed to ``Client.submit`` (an exception escaping the run) and, for a
    cluster made here, as the scheduler's ``allowed_failures``: how many times a run may be
    rescheduled after its worker died before Dask gives up with ``KilledWorker``.
    """
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError as exc:
        raise ImportError(
            "backend='dask' needs dask.distributed; install it with: pip install 'layerwise[dask]'"
        ) from exc

    cluster = client = None
    own_client = False
    futures: dict[Any, int] = {}
    try:
        if isinstance(scheduler, Client):
            client = scheduler
        else:
            if scheduler is None:
                cluster = LocalCluster(
                    n_workers=n_workers, threads_per_worker=1, processes=True,
                    host="127.0.0.1", dashboard_address="127.0.0.1:0",
                    scheduler_kwargs={"allowed_failures": retries},
                )  # fmt: skip
            client, own_client = Client(cluster if cluster is not None else scheduler), True
        shared = client.scatter(data, broadcast=True)
        token = uuid.uuid4().hex[:8]  # a fresh key per sweep, so nothing cached is reused
        for i, (config, seed) in enumerate(tasks):
            key = f"layerwise-run-{run_id(config, seed)}-{token}"
            fut = client.submit(
                execute, runner, config, seed, shared, key=key, retries=retries, pure=False
            )
            futures[fut] = i
        for fut in as_completed(list(futures)):
            i = futures.pop(fut)
            if fut.status == "finished":
                row = fut.result()
            elif fut.status == "cancelled":
                row = lost_row(*tasks[i], "cancelled by the cluster")
            else:
                error = fut.exception()
                detail = f"{type(error).__name__}: {error}"
                killed = type(error).__name__ == "KilledWorker"
                row = lost_row(*tasks[i], detail) if killed else failed_row(*tasks[i], detail)
            fut.release()
            yield row
    finally:
        if client is not None and futures:
            client.cancel(list(futures))
        if own_client and client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
