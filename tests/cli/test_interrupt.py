"""Ctrl-C and SIGTERM during ``layerwise train`` / ``compare`` / ``sweep`` keep the run so far.

Real signals sent to a real ``layerwise`` process. The oracle of "saved" is the library's
own reader (``lw.load``) and the files' contents against each other (history rows = the
model's epoch count); the oracle of "resumable" is running the printed command.
"""

from __future__ import annotations

import csv
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import layerwise as lw
from layerwise.cli._interrupt import resume_command

pytestmark = pytest.mark.slow
LAYERWISE = [sys.executable, "-m", "layerwise.cli"]
WAIT = 120  # a bound on waiting, not a timing assertion


def start(argv: list[str], cwd: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONWARNINGS": "error", "COLUMNS": "80"}
    return subprocess.Popen(
        [*LAYERWISE, *argv], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


def wait_for(path: Path, proc: subprocess.Popen) -> None:
    end = time.monotonic() + WAIT
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < end, f"{path} never appeared"
        time.sleep(0.05)


def command(line: str) -> list[str]:
    """A printed ``layerwise ...`` line as the argv of this test's interpreter."""
    words = shlex.split(line)
    assert words[0] == "layerwise"
    return words[1:]


def history_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def no_temporary_files(folder: Path) -> None:
    left = [p.name for p in folder.rglob("*") if p.name.endswith(".tmp")]
    assert left == [], left


@pytest.mark.parametrize("sig, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_train_saves_the_run_so_far_and_resumes(tmp_path, sig, status):
    out, ready = tmp_path / "runs" / "x", tmp_path / "first-epoch.npz"
    argv = ["train", "moons", "--epochs", "1000000", "--out", "runs/x", "--quiet"]
    proc = start([*argv, "--checkpoint", str(ready)], tmp_path)
    wait_for(ready, proc)  # training has begun
    time.sleep(0.5)
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=WAIT)
    assert proc.returncode == status, stderr
    name = signal.Signals(sig).name
    assert f"{name}: finishing the current batch and saving the run so far" in stderr
    model = lw.load(out / "model.npz")
    k = model.epochs_trained
    assert 0 < k < 1_000_000
    config = json.loads((out / "config.json").read_text())
    rel = out.relative_to(tmp_path)
    resume = (
        f"layerwise {shlex.join(argv[:-3])} --quiet --checkpoint {ready} --out {rel}"
        f" --resume {rel / 'model.npz'}"
    )
    assert config["interrupted"] == {
        "signal": name, "epochs_trained": k, "epochs_asked": 1_000_000, "resume": resume,
    }  # fmt: skip
    assert model.metadata["interrupted"] == config["interrupted"]
    rows = history_rows(out / "history.csv")
    assert [int(r["epoch"]) for r in rows] == list(range(1, k + 1))
    assert len(model.history) == k and model.history.loss[-1] == float(rows[-1]["loss"])
    for picture in ("loss.png", "architecture.png", "accuracy.png", "decision_boundary.png"):
        assert (out / picture).stat().st_size > 10_000
    assert f"resume with: {resume}" in stdout.splitlines()
    assert f"interrupted by {name} after {k} of 1000000 epochs" in stderr
    no_temporary_files(tmp_path)
    info = subprocess.run([*LAYERWISE, "info", str(out / "model.npz")], capture_output=True,
                          text=True, check=True).stdout  # fmt: skip
    assert f"INTERRUPTED by {name} after {k} of 1000000 epochs; resume with: {resume}" in info

    # the printed command continues the same run: epochs k+1, k+2, ... after the saved ones
    if sig == signal.SIGTERM:
        return  # once is enough
    ready.unlink()
    proc = start(command(resume), tmp_path)
    wait_for(ready, proc)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=WAIT)
    assert proc.returncode == 130, stderr
    again = lw.load(out / "model.npz")
    assert again.epochs_trained > k
    rows = history_rows(out / "history.csv")
    assert [int(r["epoch"]) for r in rows] == list(range(1, again.epochs_trained + 1))
    assert float(rows[k - 1]["loss"]) == model.history.loss[-1]  # the first part kept as it was


def test_a_second_signal_quits_at_once_and_leaves_no_broken_file(tmp_path):
    ready = tmp_path / "first-epoch.npz"
    argv = ["train", "moons", "--epochs", "1000000", "--out", "runs/x", "--quiet"]
    proc = start([*argv, "--checkpoint", str(ready)], tmp_path)
    wait_for(ready, proc)
    proc.send_signal(signal.SIGINT)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=WAIT)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    no_temporary_files(tmp_path)
    out = tmp_path / "runs" / "x"
    # whatever the second signal cut short, every file there is whole
    if (out / "model.npz").exists():
        assert lw.load(out / "model.npz").epochs_trained > 0
    if (out / "config.json").exists():
        json.loads((out / "config.json").read_text())


def test_compare_saves_finished_and_interrupted_runs_and_resumes_to_the_end(tmp_path):
    out = tmp_path / "runs" / "c"
    argv = ["compare", "moons", "--lr", "0.05", "0.01", "--epochs", "20000", "--out", "runs/c"]
    proc = start([*argv, "--quiet"], tmp_path)
    wait_for(out, proc)  # the folder is made just before the first run trains
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=WAIT)
    assert proc.returncode == 143, stderr
    config = json.loads((out / "config.json").read_text())
    stopped = config["interrupted"]
    assert stopped["signal"] == "SIGTERM" and stopped["runs_asked"] == 2
    assert stopped["resume"] == f"layerwise {shlex.join(argv[:-2])} --quiet --out runs/c --resume"
    i = stopped["run"]
    partial = lw.load(out / f"run_{i}.npz")
    assert partial.epochs_trained == stopped["epochs_trained"] < 20000
    assert partial.metadata["interrupted"] == {"epochs_trained": partial.epochs_trained}
    assert "INTERRUPTED by SIGTERM" in (out / "summary.md").read_text()
    assert (out / "lr_comparison.png").exists()
    assert f"resume with: {stopped['resume']}" in stdout

    proc = start(command(stopped["resume"]), tmp_path)
    stdout, stderr = proc.communicate(timeout=WAIT)
    assert proc.returncode == 0, stderr
    config = json.loads((out / "config.json").read_text())
    assert "interrupted" not in config and config["runs"] == ["0.05", "0.01"]
    for j in range(2):
        model = lw.load(out / f"run_{j}.npz")
        assert model.epochs_trained == 20000
        rows = history_rows(out / f"history_{j}.csv")
        assert [int(r["epoch"]) for r in rows] == list(range(1, 20001))
    # the interrupted run continued from where it stopped, not from scratch
    resumed = lw.load(out / f"run_{i}.npz").history
    assert resumed.loss[: partial.epochs_trained] == partial.history.loss


def test_resume_command_quotes_and_replaces_options():
    argv = ["train", "my data.csv", "--out=old", "--resume", "a.npz", "--epochs", "5"]
    new = ("--out", "new dir", "--resume", "n")
    line = resume_command(argv, drop=("--out", "--resume"), add=new)
    assert line == "layerwise train 'my data.csv' --epochs 5 --out 'new dir' --resume n"
    assert shlex.split(line)[1:] == ["train", "my data.csv", "--epochs", "5", "--out", "new dir",
                                     "--resume", "n"]  # fmt: skip


def test_sweep_keeps_finished_runs_marks_the_folder_and_resumes(tmp_path):
    pytest.importorskip("threadpoolctl")
    out = tmp_path / "sw"
    argv = ["sweep", "moons", "--hidden", "4", "8", "--lr", "0.1", "0.05", "--epochs", "3000",
            "--seeds", "2", "--jobs", "2", "--out", "sw", "--quiet"]  # fmt: skip
    proc = start(argv, tmp_path)
    results = out / "results.csv"
    end = time.monotonic() + WAIT
    while not (results.exists() and len(results.read_text().splitlines()) >= 2):
        assert proc.poll() is None and time.monotonic() < end, proc.communicate()
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=WAIT)
    assert proc.returncode == 130, stderr
    marker = json.loads((out / "interrupted.json").read_text())
    finished = len(history_rows(results))
    assert marker["signal"] == "SIGINT" and marker["runs_finished"] == finished >= 1
    assert marker["resume"] == f"layerwise {shlex.join(argv)} --resume"
    assert f"resume with: {marker['resume']}" in stdout
    assert (out / "curves.png").exists()

    proc = start(command(marker["resume"]), tmp_path)
    stdout, stderr = proc.communicate(timeout=WAIT)
    assert proc.returncode == 0, stderr
    assert not (out / "interrupted.json").exists()
    rows = history_rows(results)
    assert len({r["run_id"] for r in rows}) == 8 and all(r["status"] == "ok" for r in rows)
    assert f"8 runs ({8 - finished} run now, 0 failed)" in stdout
