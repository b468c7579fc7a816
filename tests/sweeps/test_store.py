"""layerwise.sweeps._store: a sweep's folder is protected and locked, and a damaged
results.csv or sweep.json is named when resuming.
"""

from __future__ import annotations

import os

import pytest

import layerwise as lw
from tests.sweeps.helpers import FIXED, finished_sweep, resume_sweep


def test_out_is_protected(tmp_path):
    lw.sweep({"lr": [0.1]}, "moons", fixed=FIXED, n_jobs=1, out=tmp_path, verbose=False)
    with pytest.raises(FileExistsError, match="resume=True"):
        lw.sweep({"lr": [0.1]}, "moons", fixed=FIXED, n_jobs=1, out=tmp_path, verbose=False)
    with pytest.raises(ValueError, match="other data"):
        lw.sweep({"lr": [0.1]}, "circles", fixed=FIXED, n_jobs=1, out=tmp_path, resume=True,
                 verbose=False)  # fmt: skip


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


@pytest.mark.parametrize(
    "edit, match",
    [(lambda lines: lines.__setitem__(2, lines[2].replace('{"', '{"oops', 1)), "line 3"),
     (lambda lines: lines.__setitem__(1, lines[1].replace(",ok,", ",maybe,", 1)),
      "line 2: .*'maybe'"),
     (lambda lines: lines.__setitem__(1, lines[1].split(",", 3)[0] + ",1\n"), "line 2"),
     (lambda lines: lines.__setitem__(2, lines[2][:-1] + ',"extra"\n'), "line 3")],
)  # fmt: skip
def test_resume_names_the_bad_line_of_results_csv(tmp_path, edit, match):
    finished_sweep(tmp_path)
    path = tmp_path / "results.csv"
    lines = path.read_text().splitlines(keepends=True)
    edit(lines)
    path.write_text("".join(lines))
    with pytest.raises(ValueError, match=match) as exc:
        resume_sweep(tmp_path)
    assert str(path) in str(exc.value) and "delete that line" in str(exc.value)


def test_resume_with_a_corrupt_or_missing_sweep_json(tmp_path):
    finished_sweep(tmp_path)
    manifest = tmp_path / "sweep.json"
    text = manifest.read_text()
    manifest.write_text(text[: len(text) // 2])
    with pytest.raises(ValueError, match=r"sweep\.json: line \d+: not valid JSON.*restore it"):
        resume_sweep(tmp_path)
    manifest.unlink()
    with pytest.raises(ValueError, match=r"sweep\.json is missing next to .*results\.csv"):
        resume_sweep(tmp_path)
    manifest.write_text(text)
    assert resume_sweep(tmp_path).n_executed == 0
