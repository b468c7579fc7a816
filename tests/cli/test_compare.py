"""layerwise.cli._compare: ``layerwise compare``, run on small data. Learning rates start
from the same weights, layouts are drawn a panel each, the table holds the last rows of the
histories; a comparison resumed with --resume ends where the uninterrupted one ends (the
oracle: the same comparison run at once), and refuses runs that are not its own.
"""

from __future__ import annotations

import numpy as np
import pytest

import layerwise as lw
from layerwise import cli
from tests.cli.helpers import one_line_error, png, read_csv, run

pytest.importorskip("matplotlib")


def test_compare_learning_rates_from_the_same_weights(tmp_path):
    out = tmp_path / "cmp"
    result = run(
        "compare",
        "moons",
        "--n-samples",
        "60",
        "--hidden",
        "4",
        "--lr",
        "0.2",
        "0.05",
        "--epochs",
        "15",
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    h0, h1 = read_csv(out / "history_0.csv"), read_csv(out / "history_1.csv")
    assert len(h0) == len(h1) == 15
    assert h0[0]["loss"] == h1[0]["loss"]  # same initial weights, same first error
    assert float(h0[-1]["loss"]) < float(h1[-1]["loss"])
    png(out / "lr_comparison.png", (420, 1100))
    table = (out / "summary.md").read_text()
    assert "| lr=0.2 " in table and "| lr=0.05 " in table
    # the table holds the last rows of the histories
    assert f"{float(h1[-1]['val_loss']):.4f}" in table.split("| lr=0.05 ")[1]
    assert "| run " in result.stdout and "val acc" in result.stdout


def test_compare_layouts(tmp_path):
    out = tmp_path / "cmp"
    result = run(
        "compare",
        "blobs",
        "--n-samples",
        "60",
        "--hidden",
        "3",
        "8,4",
        "--lr",
        "0.3",
        "--epochs",
        "10",
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    png(out / "comparison.png", (420, 1100))
    assert "| hidden 3 " in result.stdout and "| hidden 8,4 " in result.stdout
    result = run("compare", "moons", "--lr", "0.1", "--out", str(out))
    one_line_error(result, "several --lr values")


COMPARE = ["compare", "moons", "--n-samples", "60", "--hidden", "4", "--lr", "0.2", "0.05",
           "--batch-size", "16", "--quiet"]  # fmt: skip


def test_resume_continues_every_run_to_the_end_of_the_uninterrupted_comparison(
    tmp_path, monkeypatch
):
    from layerwise.cli import _compare

    whole, resumed = tmp_path / "whole", tmp_path / "resumed"
    assert cli.main([*COMPARE, "--epochs", "8", "--out", str(whole)]) == 0
    assert cli.main([*COMPARE, "--epochs", "3", "--out", str(resumed)]) == 0
    starts, fit = [], _compare._fit_interruptibly

    def recording(args, model, X, y, kwargs):
        starts.append((model.epochs_trained, kwargs.get("initial_epoch")))
        return fit(args, model, X, y, kwargs)

    monkeypatch.setattr(_compare, "_fit_interruptibly", recording)
    assert cli.main([*COMPARE, "--epochs", "8", "--out", str(resumed), "--resume"]) == 0
    assert starts == [(3, 3), (3, 3)]  # both runs continued from their files, not from scratch
    for i in range(2):
        want, got = lw.load(whole / f"run_{i}.npz"), lw.load(resumed / f"run_{i}.npz")
        assert got.epochs_trained == want.epochs_trained == 8
        for a, b in zip(got.parameters().values(), want.parameters().values(), strict=True):
            np.testing.assert_array_equal(a, b)
        assert got.history.loss == want.history.loss  # the 3 saved epochs, then 5 new
        assert got.history.val_loss == want.history.val_loss
        rows = read_csv(resumed / f"history_{i}.csv")
        assert [float(r["loss"]) for r in rows] == want.history.loss
    assert (resumed / "summary.md").read_text() == (whole / "summary.md").read_text()
    # resumed again: the runs are finished, nothing is trained
    before = lw.load(resumed / "run_0.npz").parameters()
    assert cli.main([*COMPARE, "--epochs", "8", "--out", str(resumed), "--resume"]) == 0
    assert len(starts) == 2
    for a, b in zip(lw.load(resumed / "run_0.npz").parameters().values(), before.values(),
                    strict=True):  # fmt: skip
        np.testing.assert_array_equal(a, b)


def test_resume_refuses_other_runs_and_needs_out(tmp_path, capsys):
    out = tmp_path / "c"
    assert cli.main([*COMPARE, "--epochs", "2", "--out", str(out)]) == 0
    capsys.readouterr()
    other = ["0.1" if a == "0.2" else a for a in COMPARE]  # --lr 0.1 0.05
    assert cli.main([*other, "--epochs", "4", "--out", str(out), "--resume"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        f"layerwise compare: error: --resume: {out / 'run_0.npz'} holds the run '0.2', not "
        "'0.1'; give the same --hidden and --lr as the interrupted command"
    )
    assert cli.main([*COMPARE, "--epochs", "4", "--resume"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "layerwise compare: error: --resume continues the comparison in --out; give --out"
