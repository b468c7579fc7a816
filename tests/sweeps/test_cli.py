"""layerwise.sweeps._cli: ``layerwise sweep`` runs with the train defaults, says where the
files went and why each failed run failed; bad arguments get one line and status 2.
"""

from __future__ import annotations

import argparse

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
