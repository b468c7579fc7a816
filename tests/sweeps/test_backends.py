"""layerwise.sweeps._backends: the local pool and a Dask cluster give the numbers of the
in-process computation, bit for bit; workers that die are recorded as lost (or stop the
sweep with the fix) and nothing finished is lost.
"""

from __future__ import annotations

import csv
import json
import math
import os
import signal

import pytest

import layerwise as lw
from layerwise.sweeps import SweepResult, expand_grid, run_one
from tests.sweeps.helpers import (
    FIXED,
    GRID,
    assert_matches,
    crash_on_lr_0_5,
    numbers,
    reference,
)


def test_local_pool_gives_the_in_process_numbers_and_writes_every_run(tmp_path):
    ref = reference(GRID, FIXED, 2, "moons")
    result = lw.sweep(GRID, "moons", fixed=FIXED, seeds=2, n_jobs=2, out=tmp_path, verbose=False)
    assert len(result.table) == 8 and result.n_executed == 8
    assert_matches(result, ref)
    assert {r["worker"] for r in result.table} != {f"{os.uname().nodename}:{os.getpid()}"}
    with open(tmp_path / "results.csv") as f:
        rows = list(csv.DictReader(f))
    assert sorted(r["run_id"] for r in rows) == sorted(ref)
    for r in rows:  # the file holds the exact floats
        assert float(r["val_loss"]) == ref[r["run_id"]]["val_loss"]
        saved = json.loads((tmp_path / "histories" / f"{r['run_id']}.json").read_text())
        assert saved["history"]["val_loss"] == ref[r["run_id"]]["history"]["val_loss"]
    again = SweepResult.load(tmp_path)
    assert numbers(again.table) == numbers(result.table)


def test_a_worker_that_dies_is_recorded_as_lost_and_nothing_finished_is_lost(tmp_path):
    ref = reference(GRID, FIXED, 2, "moons")
    result = lw.sweep(
        GRID, "moons", fixed=FIXED, seeds=2, n_jobs=2, retries=0, out=tmp_path,
        runner=crash_on_lr_0_5, verbose=False,
    )  # fmt: skip
    crashed = [r for r in result.table if r["config"]["lr"] == 0.5 and r["hidden"] == [4]]
    others = [r for r in result.table if r not in crashed]
    assert len(crashed) == 2 and len(others) == 6
    for r in crashed:
        assert r["status"] == "failed" and r["error"].startswith("worker lost"), r
    ok = SweepResult(others, result.histories)
    assert_matches(ok, ref)
    with open(tmp_path / "results.csv") as f:
        on_disk = {r["run_id"]: r["status"] for r in csv.DictReader(f)}
    assert on_disk == {r["run_id"]: r["status"] for r in result.table}


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    # port 0 everywhere: other test processes may run clusters at the same time
    c = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
    )  # fmt: skip
    yield c
    c.close()


def test_dask_cluster_gives_the_numbers_of_the_local_backend(cluster):
    ref = reference(GRID, FIXED, 2, "moons")
    result = lw.sweep(GRID, "moons", fixed=FIXED, seeds=2, backend="dask",
                      scheduler=cluster.scheduler_address, verbose=False)  # fmt: skip
    local = lw.sweep(GRID, "moons", fixed=FIXED, seeds=2, n_jobs=2, verbose=False)
    assert numbers(result.table) == numbers(local.table)
    assert_matches(result, ref)
    assert len({r["worker"] for r in result.table}) == 2  # both workers ran something


@pytest.mark.slow
def test_dask_worker_killed_mid_sweep_loses_nothing(cluster, tmp_path):
    from distributed import Client

    grid, fixed = {"lr": [0.3, 0.1, 0.03]}, {"hidden": [64, 64], "epochs": 1000}
    ref = reference(grid, fixed, 2, "moons")
    killed: list[str] = []
    with Client(cluster) as client:
        pids = client.run(os.getpid)

        def kill_a_busy_worker(row):
            if killed:
                return
            busy = [addr for addr, keys in client.processing().items() if keys]
            killed.append(busy[0])
            os.kill(pids[busy[0]], signal.SIGKILL)

        result = lw.sweep(grid, "moons", fixed=fixed, seeds=2, backend="dask", scheduler=client,
                          out=tmp_path, on_result=kill_a_busy_worker, verbose=False)  # fmt: skip
        client.wait_for_workers(2, timeout=30)  # the nanny brings the worker back
    assert killed
    assert len(result.table) == 6
    # Dask reschedules a killed worker's runs (allowed-failures): every run finishes, and
    # the numbers are those of runs that were never interrupted
    assert_matches(result, ref)
    with open(tmp_path / "results.csv") as f:
        assert sorted(r["run_id"] for r in csv.DictReader(f)) == sorted(ref)


def test_dask_failed_runs_are_recorded(cluster):
    result = lw.sweep({"lr": [1e4, 0.1]}, "moons", fixed={"epochs": 30}, backend="dask",
                      scheduler=cluster.scheduler_address, verbose=False)  # fmt: skip
    assert [r["status"] for r in result.table] == ["failed", "ok"]
    assert "DivergenceError" in result.table[0]["error"]
    assert math.isfinite(result.best()["mean"])


class _DiesWhenUnpickled:
    """Data whose unpickling kills the process: a worker that dies while starting up."""

    def __reduce__(self):
        return os._exit, (3,)


def test_workers_that_die_as_they_start_stop_the_sweep_with_the_fix():
    from layerwise.sweeps._backends import iter_local

    tasks = [(expand_grid({}, FIXED)[0], seed) for seed in range(3)]
    runs = iter_local(tasks, _DiesWhenUnpickled(), run_one, n_workers=2, retries=2)
    with pytest.raises(RuntimeError, match="if __name__ == '__main__'"):
        list(runs)
