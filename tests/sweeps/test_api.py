"""Sweeps: the same numbers on every backend, faults recorded, interrupted sweeps resumed.

The oracle for a run is a training written out here by hand (``lw.mlp`` + ``fit`` on the
same split); the backends are then checked against the in-process computation, bit for bit.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import signal
import struct

import numpy as np
import pytest

import layerwise as lw
from layerwise.sweeps import SweepResult, expand_grid, prepare_data, run_id, run_one

GRID = {"hidden": [[4], [8, 4]], "lr": [0.5, 0.05]}
FIXED = {"epochs": 15}
VOLATILE = ("seconds", "worker")  # differ between runs by nature


def numbers(table):
    """The table without timings and worker names."""
    return [{k: v for k, v in row.items() if k not in VOLATILE} for row in table]


def reference(grid, fixed, seeds, data):
    """Every run computed in this process, one after another."""
    d = prepare_data(data)
    return {run_id(c, s): run_one(c, s, d) for c in expand_grid(grid, fixed) for s in range(seeds)}


def assert_matches(result, ref):
    for row in result.table:
        want = ref[row["run_id"]]
        assert row["status"] == "ok", row["error"]
        for key in ("train_loss", "best_train_loss", "val_loss", "best_val_loss", "accuracy"):
            assert row[key] == want[key], (key, row[key], want[key])  # bit for bit
        h = result.histories[row["run_id"]]
        assert h.loss == want["history"]["loss"]
        assert h.val_loss == want["history"]["val_loss"]


def crash_on_lr_0_5(config, seed, data):
    """A runner whose worker dies (no exception, no cleanup) on one configuration."""
    if config["lr"] == 0.5 and config["hidden"] == [4]:
        os._exit(13)
    return run_one(config, seed, data)


# ---------------------------------------------------------------------------
# One run against a training written out by hand


def test_run_one_is_the_plain_training_on_a_standardised_split():
    X, y = lw.datasets.load("moons", seed=0)
    X_tr, X_va, y_tr, y_va = lw.datasets.train_test_split(X, y, 0.25, seed=0, stratify=True)
    scaler = lw.datasets.StandardScaler().fit(X_tr)
    model = lw.mlp(2, [8, 4], 1, activation="tanh", output_activation="sigmoid", seed=3)
    h = model.fit(
        scaler.transform(X_tr), y_tr, loss="bce", lr=0.3, epochs=12, batch_size=32,
        validation_data=(scaler.transform(X_va), y_va), verbose=False,
    )  # fmt: skip
    config = expand_grid(
        {}, {"hidden": [8, 4], "activation": "tanh", "lr": 0.3, "epochs": 12, "batch_size": 32}
    )[0]
    out = run_one(config, 3, "moons")
    assert out["history"]["loss"] == h.loss
    assert out["history"]["val_loss"] == h.val_loss
    assert out["val_loss"] == h.val_loss[-1] and out["best_val_loss"] == min(h.val_loss)
    assert out["accuracy"] == h.metrics["val_accuracy"][-1]
    assert out["r2"] is None and out["epochs_run"] == 12


def test_regression_data_as_arrays_gets_mse_and_r2():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=80)
    result = lw.sweep({"lr": [0.05]}, (X, y), fixed={"epochs": 30}, n_jobs=1, verbose=False)
    row = result.table[0]
    assert row["status"] == "ok" and row["accuracy"] is None
    d = prepare_data((X, y))
    assert len(d.X_train) == 60 and len(d.X_val) == 20 and d.task == "regression"
    model = lw.mlp(3, [16], 1, seed=0)
    h = model.fit(d.X_train, d.y_train, loss="mse", lr=0.05, epochs=30,
                  validation_data=(d.X_val, d.y_val), verbose=False)  # fmt: skip
    assert row["r2"] == h.metrics["val_r2"][-1] and row["val_loss"] == h.val_loss[-1]


# ---------------------------------------------------------------------------
# Grid, ids, validation


def test_grid_expands_every_combination_with_canonical_values():
    configs = expand_grid({"hidden": [4, [8, 4]], "lr": [1, 0.1]}, {"activation": "tanh"})
    assert [(c["hidden"], c["lr"]) for c in configs] == [
        ([4], 1.0), ([4], 0.1), ([8, 4], 1.0), ([8, 4], 0.1)
    ]  # fmt: skip
    assert all(c["activation"] == "tanh" and c["optimizer"] == "sgd" for c in configs)
    assert isinstance(configs[0]["lr"], float)
    ids = {run_id(c, s) for c in configs for s in range(3)}
    assert len(ids) == 12
    # the same run gets the same id whatever way its settings were written
    same = expand_grid({"hidden": [[4]]}, {"lr": 1.0, "activation": "tanh"})[0]
    assert run_id(same, 0) == run_id(configs[0], 0)


@pytest.mark.parametrize(
    ("grid", "fixed", "match"),
    [
        ({"lr": 0.1}, None, "non-empty list"),
        ({"lr": []}, None, "non-empty list"),
        ({"learning_rate": [0.1]}, None, "unknown setting 'learning_rate'"),
        ({"activation": ["relu", "swish"]}, None, "swish"),
        ({"lr": [0.1, -1.0]}, None, "lr"),
        ({"hidden": [[4, 0]]}, None, "positive integers"),
        ({"lr": [0.1]}, {"lr": 0.2}, "both grid and fixed"),
        ({"epochs": [0]}, None, "epochs"),
    ],
)
def test_bad_grids_are_refused_before_any_run(grid, fixed, match):
    with pytest.raises((ValueError, TypeError), match=match):
        lw.sweep(grid, "moons", fixed=fixed, n_jobs=1, verbose=False)


def test_bad_arguments_name_themselves(tmp_path):
    for kwargs, match in [
        ({"backend": "ray"}, "backend"),
        ({"seeds": 0}, "seeds"),
        ({"seeds": [1, 1]}, "repeats"),
        ({"metric": "f1"}, "metric"),
        ({"resume": True}, "resume=True needs out"),
        ({"scheduler": "tcp://127.0.0.1:1"}, "backend='dask'"),
        ({"n_jobs": 0}, "n_jobs"),
    ]:
        with pytest.raises((ValueError, TypeError), match=match):
            lw.sweep({"lr": [0.1]}, "moons", verbose=False, **kwargs)
    with pytest.raises(TypeError, match="data must be"):
        lw.sweep({"lr": [0.1]}, 42, verbose=False)


# ---------------------------------------------------------------------------
# Local process pool


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


def test_divergence_is_recorded_and_the_others_go_on():
    result = lw.sweep({"lr": [1e4, 0.1]}, "moons", fixed={"epochs": 40}, n_jobs=2, verbose=False)
    bad, good = result.table
    assert bad["status"] == "failed" and bad["error"].startswith("DivergenceError")
    assert 0 < bad["epochs_run"] < 40  # the epochs before divergence are kept
    assert good["status"] == "ok" and good["epochs_run"] == 40
    assert result.best()["lr"] == 0.1


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


class Stop(Exception):
    pass


def test_an_interrupted_sweep_resumes_without_repeating_a_finished_run(tmp_path):
    ref = reference(GRID, FIXED, 2, "moons")
    seen: list[str] = []

    def stop_after_three(row):
        seen.append(row["run_id"])
        if len(seen) == 3:
            raise Stop

    with pytest.raises(Stop):
        lw.sweep(GRID, "moons", fixed=FIXED, seeds=2, n_jobs=2, out=tmp_path,
                 on_result=stop_after_three, verbose=False)  # fmt: skip
    with open(tmp_path / "results.csv") as f:
        first = [r["run_id"] for r in csv.DictReader(f)]
    assert first == seen
    # a crash may cut the last line short: resume drops it and runs that run again
    with open(tmp_path / "results.csv", "a") as f:
        f.write("deadbeef0000,[4],0.5")

    again: list[str] = []
    result = lw.sweep(GRID, "moons", fixed=FIXED, seeds=2, n_jobs=2, out=tmp_path,
                      resume=True, on_result=lambda row: again.append(row["run_id"]),
                      verbose=False)  # fmt: skip
    assert result.n_executed == len(again) == 5
    assert not set(again) & set(first)
    assert_matches(result, ref)
    with open(tmp_path / "results.csv") as f:
        ids = [r["run_id"] for r in csv.DictReader(f)]
    assert sorted(ids) == sorted(ref)  # each run once, the cut line gone
    done = lw.sweep(GRID, "moons", fixed=FIXED, seeds=2, out=tmp_path, resume=True, verbose=False)
    assert done.n_executed == 0 and numbers(done.table) == numbers(result.table)


def test_out_is_protected(tmp_path):
    lw.sweep({"lr": [0.1]}, "moons", fixed=FIXED, n_jobs=1, out=tmp_path, verbose=False)
    with pytest.raises(FileExistsError, match="resume=True"):
        lw.sweep({"lr": [0.1]}, "moons", fixed=FIXED, n_jobs=1, out=tmp_path, verbose=False)
    with pytest.raises(ValueError, match="other data"):
        lw.sweep({"lr": [0.1]}, "circles", fixed=FIXED, n_jobs=1, out=tmp_path, resume=True,
                 verbose=False)  # fmt: skip


# ---------------------------------------------------------------------------
# Summaries and pictures


def test_best_is_the_mean_over_seeds_and_failures_rank_last():
    grid = {"lr": [1e4, 0.5, 0.05]}
    result = lw.sweep(grid, "moons", fixed=FIXED, seeds=3, n_jobs=1, verbose=False)
    ranked = result.by_config()
    assert [e["lr"] for e in ranked][-1] == 1e4 and ranked[-1]["mean"] is None
    for e in ranked[:2]:
        vals = [r["val_loss"] for r in result.table if r["lr"] == e["lr"]]
        assert e["mean"] == pytest.approx(np.mean(vals), rel=1e-12)
        assert e["std"] == pytest.approx(np.std(vals, ddof=1), rel=1e-12)
    best = result.best()
    assert best["mean"] == min(e["mean"] for e in ranked[:2])
    acc = result.best("accuracy")
    assert acc["mean"] == max(np.mean([r["accuracy"] for r in result.table if r["lr"] == lr])
                              for lr in (0.5, 0.05))  # fmt: skip
    with pytest.raises(ValueError, match="r2"):
        result.best("r2")


def _png_size(path):
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def test_pictures(tmp_path):
    grid = {"hidden": [[4], [8, 4]], "lr": [0.5, 0.05], "activation": ["relu", "tanh"]}
    result = lw.sweep(grid, "moons", fixed=FIXED, seeds=2, n_jobs=1, verbose=False)
    fig = result.plot_curves(logy="both", path=tmp_path / "curves.png")
    assert [ax.get_yscale() for ax in fig.axes[:2]] == ["linear", "log"]
    assert len(fig.axes[0].lines) == 8  # one mean curve per configuration
    w, h = _png_size(tmp_path / "curves.png")
    assert w > h > 200
    fig = result.plot_heatmap("lr", "hidden", path=tmp_path / "heat.png")
    cells = np.asarray(fig.axes[0].images[0].get_array())
    for i, hidden in enumerate([[4], [8, 4]]):
        for j, lr in enumerate([0.5, 0.05]):
            means = [
                np.mean([r["val_loss"] for r in result.table
                         if r["hidden"] == hidden and r["lr"] == lr and r["activation"] == a])
                for a in ("relu", "tanh")
            ]  # fmt: skip
            assert cells[i, j] == pytest.approx(min(means), rel=1e-12)
    _png_size(tmp_path / "heat.png")
    with pytest.raises(ValueError, match="not a setting"):
        result.plot_heatmap("lr", "momentum")


# ---------------------------------------------------------------------------
# Command line


def _cli(argv):
    from layerwise.sweeps import configure_parser, run_cli

    parser = configure_parser(argparse.ArgumentParser(prog="layerwise sweep"))
    return run_cli(parser.parse_args(argv))


def test_cli_runs_a_sweep_and_says_where_the_files_went(tmp_path, capsys):
    out = tmp_path / "sw"
    argv = ["--data", "moons", "--hidden", "0", "8,4", "--lr", "0.5", "0.05", "--seeds", "2",
            "--epochs", "10", "--jobs", "1", "--out", str(out), "--quiet"]  # fmt: skip
    assert _cli(argv) == 0
    text = capsys.readouterr().out
    assert "results.csv" in text and "heatmap.png" in text and "8 runs" in text
    for name in ("results.csv", "curves.png", "heatmap.png", "sweep.json"):
        assert (out / name).stat().st_size > 0
    assert len(list((out / "histories").glob("*.json"))) == 8
    assert _cli([*argv, "--resume"]) == 0
    assert "0 run now" in capsys.readouterr().out


@pytest.mark.parametrize(
    "bad",
    [
        ["--hidden", "4,x"],
        ["--lr", "fast"],
        ["--seeds", "0"],
        ["--activation", "swish"],
        ["--batch-size", "-3"],
    ],
)
def test_cli_bad_arguments_get_one_line_and_status_2(tmp_path, capsys, bad):
    argv = ["--data", "moons", "--epochs", "5", "--jobs", "1", "--out", str(tmp_path), *bad]
    assert _cli(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("layerwise sweep: error:")


# ---------------------------------------------------------------------------
# Dask: one LocalCluster on loopback for the module


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


# ---------------------------------------------------------------------------
# The guide


@pytest.mark.slow
def test_every_example_of_the_guide_runs(tmp_path, monkeypatch):
    import re
    from pathlib import Path

    text = (Path(__file__).parents[2] / "docs" / "sweeps.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 6
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "guide"}  # the script's main() is defined, not called
    for block in blocks:
        exec(compile(block, "docs/sweeps.md", "exec"), namespace)
    assert namespace["more"].n_executed == 4 and len(namespace["more"].table) == 12
    assert (tmp_path / "sweep_curves.png").stat().st_size > 0
    assert all(row["status"] == "ok" for row in namespace["more"].table)


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


def test_to_pandas_needs_pandas_or_gives_the_table():
    result = lw.sweep({"lr": [0.5, 0.05]}, "moons", fixed=FIXED, n_jobs=1, verbose=False)
    try:
        import pandas  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="pip install pandas"):
            result.to_pandas()
    else:
        frame = result.to_pandas()
        assert list(frame["lr"]) == [0.5, 0.05] and frame.shape[0] == 2


def test_optimizer_with_options_and_schedule_are_settings():
    fixed = {"epochs": 12, "lr": 0.05, "schedule": "step:step_size=10,gamma=0.5"}
    grid = {"optimizer": [{"name": "sgd", "momentum": 0.9}]}
    result = lw.sweep(grid, "moons", fixed=fixed, n_jobs=1, verbose=False)
    row = result.table[0]
    assert row["status"] == "ok", row["error"]
    h = result.histories[row["run_id"]]
    assert h.lr == [0.05] * 10 + [0.025] * 2  # StepLR: halved after 10 epochs
    d = prepare_data("moons")
    model = lw.mlp(2, [16], 1, output_activation="sigmoid", seed=0)
    opt = lw.optimizers.from_config({"name": "sgd", "momentum": 0.9, "lr": 0.05})
    by_hand = model.fit(
        d.X_train, d.y_train, loss="bce", optimizer=opt, epochs=12,
        schedule=lw.schedules.StepLR(10, 0.5), validation_data=(d.X_val, d.y_val),
        verbose=False,
    )  # fmt: skip
    assert h.val_loss == by_hand.val_loss


# ---------------------------------------------------------------------------
# Faults of issue 13: a shared folder, broken files on resume, a killed parent


SLOW_SCRIPT = """
import os, sys, time
import layerwise as lw

def slow(config, seed, data):
    with open(os.path.join(sys.argv[2], f"{os.getpid()}.pid"), "w") as f:
        f.write(str(os.getpid()))
    time.sleep(600)

if __name__ == "__main__":
    lw.sweep({"lr": [0.1, 0.2]}, "moons", fixed={"epochs": 2}, n_jobs=2, out=sys.argv[1],
             runner=slow, verbose=False)
"""


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has exited
    except FileNotFoundError:
        return False


def _wait_for(condition, what, limit=120.0):
    import time

    deadline = time.monotonic() + limit  # a liveness bound, not a timing claim
    while not condition():
        assert time.monotonic() < deadline, f"still waiting for {what} after {limit:.0f} s"
        time.sleep(0.2)


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="reads /proc (Linux)")
def test_a_locked_folder_refuses_a_second_sweep_and_workers_die_with_their_parent(tmp_path):
    import subprocess
    import sys

    script, out, pids = tmp_path / "slow_sweep.py", tmp_path / "out", tmp_path / "pids"
    script.write_text(SLOW_SCRIPT)
    pids.mkdir()
    parent = subprocess.Popen([sys.executable, str(script), str(out), str(pids)])
    try:
        _wait_for(lambda: len(list(pids.glob("*.pid"))) == 2, "both workers to start a run")
        with pytest.raises(BlockingIOError, match=f"in use by another sweep .process {parent.pid}"):
            lw.sweep({"lr": [0.1, 0.2]}, "moons", fixed={"epochs": 2}, n_jobs=1, out=out,
                     resume=True, verbose=False)  # fmt: skip
        workers = [int(p.stem) for p in pids.glob("*.pid")]
        assert all(_alive(w) for w in workers)
    finally:
        parent.kill()  # kill -9: no cleanup of any kind in the parent
        parent.wait()
    _wait_for(lambda: not any(_alive(w) for w in workers), "the orphaned workers to exit")
    # the lock died with its process: the sweep resumes and trains both runs
    done = lw.sweep({"lr": [0.1, 0.2]}, "moons", fixed={"epochs": 2}, n_jobs=1, out=out,
                    resume=True, verbose=False)  # fmt: skip
    assert done.n_executed == 2 and all(r["status"] == "ok" for r in done.table)


def _finished_sweep(out):
    return lw.sweep({"lr": [0.5, 0.05]}, "moons", fixed=FIXED, n_jobs=1, out=out, verbose=False)


def _resume(out):
    return lw.sweep({"lr": [0.5, 0.05]}, "moons", fixed=FIXED, n_jobs=1, out=out, resume=True,
                    verbose=False)  # fmt: skip


@pytest.mark.parametrize(
    "edit, match",
    [(lambda lines: lines.__setitem__(2, lines[2].replace('{"', '{"oops', 1)), "line 3"),
     (lambda lines: lines.__setitem__(1, lines[1].replace(",ok,", ",maybe,", 1)),
      "line 2: .*'maybe'"),
     (lambda lines: lines.__setitem__(1, lines[1].split(",", 3)[0] + ",1\n"), "line 2"),
     (lambda lines: lines.__setitem__(2, lines[2][:-1] + ',"extra"\n'), "line 3")],
)  # fmt: skip
def test_resume_names_the_bad_line_of_results_csv(tmp_path, edit, match):
    _finished_sweep(tmp_path)
    path = tmp_path / "results.csv"
    lines = path.read_text().splitlines(keepends=True)
    edit(lines)
    path.write_text("".join(lines))
    with pytest.raises(ValueError, match=match) as exc:
        _resume(tmp_path)
    assert str(path) in str(exc.value) and "delete that line" in str(exc.value)


def test_resume_with_a_corrupt_or_missing_sweep_json(tmp_path):
    _finished_sweep(tmp_path)
    manifest = tmp_path / "sweep.json"
    text = manifest.read_text()
    manifest.write_text(text[: len(text) // 2])
    with pytest.raises(ValueError, match=r"sweep\.json: line \d+: not valid JSON.*restore it"):
        _resume(tmp_path)
    manifest.unlink()
    with pytest.raises(ValueError, match=r"sweep\.json is missing next to .*results\.csv"):
        _resume(tmp_path)
    manifest.write_text(text)
    assert _resume(tmp_path).n_executed == 0


def test_cli_says_why_each_failed_run_failed(tmp_path, capsys):
    argv = ["--data", "moons", "--hidden", "8", "--activation", "relu", "--lr", "0.05", "1e30",
            "--epochs", "20", "--jobs", "1", "--out", str(tmp_path / "sw"), "--quiet"]  # fmt: skip
    assert _cli(argv) == 0  # one run finished
    text = capsys.readouterr().out
    assert "failed runs (1):" in text and "1 run: DivergenceError: training diverged" in text
    assert "lr=1e+30, seed=0" in text and "lr=0.05" not in text.split("failed runs")[1]
    argv[argv.index("0.05")] = "1e31"
    argv[-2] = str(tmp_path / "all_failed")
    assert _cli(argv) == 1
    captured = capsys.readouterr()
    assert "failed runs (2):" in captured.out and captured.out.count("DivergenceError") == 2
    assert "no run finished" in captured.err and "curve=" not in captured.out + captured.err


def test_loading_a_folder_with_a_bad_line_names_it(tmp_path):
    _finished_sweep(tmp_path)
    path = tmp_path / "results.csv"
    path.write_text(path.read_text().replace(",ok,", ",??,", 1))
    with pytest.raises(ValueError, match=r"results\.csv: line 2: .*'\?\?'"):
        SweepResult.load(tmp_path)


def test_sweep_grid_accepts_numpy_arrays_of_values():
    # np.logspace(...) is the natural way to write a grid of learning rates; it used to
    # fail with NumPy's "truth value of an array is ambiguous".
    from layerwise.sweeps._runs import expand_grid

    configs = expand_grid({"lr": np.array([0.1, 0.01])}, {"epochs": 2})
    assert [c["lr"] for c in configs] == [0.1, 0.01]
    assert all(type(c["lr"]) is float for c in configs)


@pytest.mark.parametrize("labels", [[1, 2], [-1, 1], [0, 0], [3, 3]])
def test_sweep_refuses_integer_labels_no_run_can_use(labels):
    # Labels {1, 2} or {-1, 1} made every run fail with the same bce error, one row per
    # run; a single class "trained" to a meaningless accuracy. Refused before any run.
    from layerwise.sweeps._runs import prepare_data

    X = np.arange(40.0).reshape(20, 2)
    y = np.array(labels * 10)
    with pytest.raises(ValueError, match=r"labels.*0, 1"):
        prepare_data((X, y))


def test_sweep_still_takes_labels_from_zero():
    from layerwise.sweeps._runs import prepare_data

    X = np.arange(60.0).reshape(30, 2)
    assert prepare_data((X, np.arange(30) % 2)).task == "binary"
    assert prepare_data((X, np.arange(30) % 3)).task == "multiclass"
    assert prepare_data((X, np.arange(30) % 2 == 1)).task == "binary"
