"""layerwise.cli._common: what the subcommands share. Bad arguments give one line and
status 2 (with "did you mean"), train/compare/sweep share one vocabulary and its defaults,
the data options, the task read from the target, sizes refused before allocating, and a
saved estimator refused where a network is expected.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

import layerwise as lw
from layerwise import cli
from tests.cli.helpers import one_line_error, read_csv, run, subparsers

pytest.importorskip("matplotlib")


# ------------------------------------------------------------------------------ errors
@pytest.mark.parametrize(
    "args, needles",
    [
        (["train", "nosuchset"], ["unknown data set 'nosuchset'", "moons"]),
        (["train", "moons", "--hidden", "4,x"], ["--hidden", "'4,x'"]),
        (["train", "moons", "--lr", "-0.1"], ["--lr must be a positive number", "'-0.1'"]),
        (["train", "moons", "--activation", "swish"], ["swish"]),
        (["train", "missing.csv"], ["missing.csv: no such file"]),
        (["train", "iris", "--n-samples", "10"], ["n_samples does not apply"]),
        (["info", "missing.npz"], ["missing.npz: no such file"]),
        (["train", "moons", "--noise", "-1"], ["noise must be a finite number >= 0"]),
        (["frobnicate"], ["invalid choice"]),
    ],
)
def test_bad_arguments_give_one_line_and_status_2(args, needles):
    one_line_error(run(*args), *needles)


def test_train_compare_and_sweep_share_one_vocabulary_and_defaults(tmp_path):
    from layerwise.cli._common import DEFAULTS
    from layerwise.sweeps._cli import _grid

    subs = subparsers(cli.build_parser())
    train = subs["train"].parse_args(["moons"])
    compare = subs["compare"].parse_args(["--data", "moons"])
    sweep = subs["sweep"].parse_args(["moons", "--out", str(tmp_path / "s")])
    assert (train.data, compare.data_option, sweep.data) == ("moons", "moons", "moons")
    grid = _grid(sweep)
    assert train.hidden == compare.hidden[0] == grid["hidden"][0] == DEFAULTS["hidden"]
    assert train.lr == compare.lr[0] == grid["lr"][0] == DEFAULTS["lr"]
    assert train.epochs == compare.epochs == grid["epochs"][0] == DEFAULTS["epochs"]
    assert train.activation == compare.activation == DEFAULTS["activation"]
    for spelling in ("none", "0"):
        assert subs["train"].parse_args(["moons", "--hidden", spelling]).hidden == []
        args = subs["sweep"].parse_args(["moons", "--hidden", spelling, "--out", "x"])
        assert _grid(args)["hidden"] == [[]]


def test_train_data_given_twice_or_not_at_all_is_one_line(tmp_path):
    one_line_error(run("train", "moons", "--data", "iris"), "give the data once")
    one_line_error(run("train", "--epochs", "3"), "give the data")
    result = run("train", "--data", "moons", "--epochs", "3", "--out", str(tmp_path / "r"))
    assert result.returncode == 0, result.stderr
    config = json.loads((tmp_path / "r" / "config.json").read_text())
    assert config["data"] == "moons" and "data_option" not in config["settings"]


# ------------------------------------------------------------------------------ task, sizes
def _price_csv(path: Path, n: int = 300) -> Path:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 2))
    price = np.round(100 + 30 * x[:, 0] - 10 * x[:, 1]).astype(int)  # about 100 values
    lines = ["a,b,price"] + [f"{a:.6f},{b:.6f},{p}" for (a, b), p in zip(x, price)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_integer_target_with_many_values_is_a_regression(tmp_path):
    data = _price_csv(tmp_path / "p.csv")
    result = run("train", str(data), "--epochs", "5", "--out", str(tmp_path / "auto"))
    assert result.returncode == 0, result.stderr
    model = lw.load(tmp_path / "auto" / "model.npz")
    assert (model.output_dim, model.layers[-1].describe()) == (1, "identity")
    assert json.loads((tmp_path / "auto" / "config.json").read_text())["task"] == "regression"
    # asked for, it is a classification, one output per class, under the class limit
    result = run("train", str(data), "--task", "classification", "--epochs", "2",
                 "--out", str(tmp_path / "cls"))  # fmt: skip
    assert result.returncode == 0, result.stderr
    n_classes = len(set(read_csv(data)[i]["price"] for i in range(300)))
    assert lw.load(tmp_path / "cls" / "model.npz").output_dim == n_classes
    error = one_line_error(
        run("train", str(data), "--task", "classification", "--max-classes", "10"),
        f"{n_classes} classes", "--max-classes 10", "--task regression",
    )  # fmt: skip
    assert "price" in error


def test_task_regression_on_labels_and_classification_on_a_quantity(tmp_path):
    result = run("train", "moons", "--task", "regression", "--epochs", "3",
                 "--out", str(tmp_path / "r"))  # fmt: skip
    assert result.returncode == 0, result.stderr
    model = lw.load(tmp_path / "r" / "model.npz")
    assert model.layers[-1].describe() == "identity"
    assert "accuracy" not in read_csv(tmp_path / "r" / "history.csv")[0]
    one_line_error(run("train", "sine", "--task", "classification"), "continuous targets")


@pytest.mark.parametrize(
    "args, needles",
    [
        (["train", "moons", "--hidden", "100000000"], ["hidden widths 100000000", "GiB"]),
        (["train", "moons", "--hidden", "16,100000000"], ["hidden widths 16,100000000"]),
        (["compare", "moons", "--hidden", "4", "100000000"], ["100000000", "GiB"]),
        (["train", "moons", "--n-samples", "1000000000"], ["--n-samples 1000000000", "GiB"]),
    ],
)
def test_sizes_beyond_memory_are_refused_before_allocating(args, needles, capsys):
    # in this process: an allocation made before the check would raise MemoryError here
    assert cli.main([*args, "--quiet", "--out", os.devnull + "-unused"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "choose smaller sizes" in err
    for needle in needles:
        assert needle in err, err


def test_a_saved_estimator_is_refused_in_one_line(tmp_path, capsys):
    import warnings

    sklearn = pytest.importorskip("sklearn")
    X, y = lw.datasets.load("moons", n_samples=60, seed=0)
    with warnings.catch_warnings():  # a few iterations are enough to have a saved estimator
        warnings.simplefilter("ignore", sklearn.exceptions.ConvergenceWarning)
        clf = lw.MLPClassifier(hidden_layer_sizes=(3,), max_iter=5, random_state=0).fit(X, y)
    lw.save(clf, tmp_path / "clf.npz")
    (tmp_path / "x.csv").write_text("x0,x1\n0.5,0.1\n")
    path, csv_path = str(tmp_path / "clf.npz"), str(tmp_path / "x.csv")
    # in this process (cli.main, what ``python -m layerwise`` runs): four interpreters that
    # import scikit-learn took 12 s for the same lines
    for argv in (["info", path], ["info", path, "--json"], ["predict", path, csv_path],
                 ["gradcheck", "moons", "--model", path]):  # fmt: skip
        assert cli.main(argv) == 2, argv
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "Traceback" not in err, err
        assert "clf.npz holds a saved MLPClassifier" in err and "layerwise train" in err, err


def test_hidden_widths_with_spaces_or_commas_and_did_you_mean(tmp_path, capsys):
    from layerwise.cli import main

    for spelling in (["16", "8"], ["16,8"]):
        out = tmp_path / "-".join(spelling)
        argv = ["train", "moons", "--hidden", *spelling, "--epochs", "1", "--quiet"]
        assert main([*argv, "--out", str(out)]) == 0
        assert [layer.units for layer in lw.load(out / "model.npz").layers] == [16, 8, 1]
    capsys.readouterr()
    assert main(["train", "moonz"]) == 2
    assert "unknown data set 'moonz'; did you mean 'moons'?" in capsys.readouterr().err
    assert main(["train", "moons", "--epohcs", "3"]) == 2
    assert "did you mean --epohcs -> --epochs?" in capsys.readouterr().err
    assert main(["train", "moons", "--hidden", "none", "4"]) == 2
    assert "'none' (no hidden layer) goes alone" in capsys.readouterr().err


def test_cli_train_refuses_a_csv_target_with_a_single_class(tmp_path, capsys):
    # It used to train a "binary" model on one class and then predict the code 0
    # instead of the label.
    path = tmp_path / "one.csv"
    path.write_text("a,b,label\n1,2,x\n3,4,x\n5,6,x\n7,8,x\n")
    status = cli.main(["train", str(path), "--epochs", "2", "--quiet", "--out",
                       str(tmp_path / "run")])  # fmt: skip
    err = capsys.readouterr().err.strip()
    assert status == 2
    assert len(err.splitlines()) == 1
    assert "one class" in err and "'x'" in err and "label" in err
    assert not (tmp_path / "run" / "model.npz").exists()
