"""Tests of TODO tests/sweeps/test_cli.py."""

from __future__ import annotations

import pytest

from tests.cli.helpers import read_csv, run


@pytest.mark.slow
def test_sweep_runs_with_the_train_defaults(tmp_path):
    result = run(
        "sweep", "moons", "--hidden", "4", "none", "--epochs", "3", "--jobs", "1",
        "--out", str(tmp_path / "s"), "--quiet", timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = read_csv(tmp_path / "s" / "results.csv")
    assert {r["activation"] for r in rows} == {"tanh"}
    assert {r["lr"] for r in rows} == {"0.05"}
    assert {r["hidden"] for r in rows} == {"[4]", "[]"}
