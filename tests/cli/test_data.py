"""layerwise.cli._data: the data of a command. DATA or --data (once; moons where it may be
left out), a built-in set loaded as ``lw.datasets.load`` loads it and a CSV file as
``load_csv`` reads it (the oracles), the task read from the target or given by --task, the
class limit, options that do not apply refused, sizes beyond memory refused before
allocating, and the split scaled as scikit-learn's StandardScaler scales it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
from pathlib import Path

import numpy as np
import pytest

import layerwise as lw
from layerwise import cli
from layerwise.cli._common import CLIError
from layerwise.cli._data import _data_arg, _data_name, _load_data, _split_and_scale
from tests.cli.helpers import one_line_error, read_csv, run, subparsers

pytest.importorskip("matplotlib")


def _parsed(command: str, *argv: str):
    return subparsers(cli.build_parser())[command].parse_args(list(argv))


# ------------------------------------------------------------------------------ DATA
def test_train_data_given_twice_or_not_at_all_is_one_line(tmp_path):
    one_line_error(run("train", "moons", "--data", "iris"), "give the data once")
    one_line_error(run("train", "--epochs", "3"), "give the data")
    result = run("train", "--data", "moons", "--epochs", "3", "--out", str(tmp_path / "r"))
    assert result.returncode == 0, result.stderr
    config = json.loads((tmp_path / "r" / "config.json").read_text())
    assert config["data"] == "moons" and "data_option" not in config["settings"]


def test_a_misspelt_data_set_gets_did_you_mean(capsys):
    from layerwise.cli import main

    assert main(["train", "moonz"]) == 2
    assert "unknown data set 'moonz'; did you mean 'moons'?" in capsys.readouterr().err


def test_data_names_a_set_or_an_existing_file(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,y\n1,0\n")
    assert _data_arg("iris") == "iris" and _data_arg(str(path)) == str(path)
    for text, message in [
        ("missing.csv", "missing.csv: no such file"),
        (os.path.join("no", "such"), f"{os.path.join('no', 'such')}: no such file"),
        ("xyzzy", "unknown data set 'xyzzy' Give one of "
         + ", ".join(lw.datasets.names()) + " or the path of a CSV file"),
    ]:  # fmt: skip
        with pytest.raises(argparse.ArgumentTypeError, match=f"^{re.escape(message)}$"):
            _data_arg(text)


def test_the_data_may_be_left_out_where_it_is_optional():
    args = _parsed("gradcheck")  # gradcheck checks moons unless told otherwise
    assert _data_name(args) == "moons" and args.data == "moons"
    args = _parsed("gradcheck", "--data", "iris")
    assert _data_name(args) == "iris"
    args = _parsed("train", "iris", "--data", "iris")  # the same twice: fine
    assert _data_name(args) == "iris"
    with pytest.raises(CLIError, match="^give the data: a data set name or a CSV file"):
        _data_name(_parsed("train"))


# ------------------------------------------------------------------------------ task, classes
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


# ------------------------------------------------------------------------------ loading
def test_a_builtin_set_is_what_datasets_load_gives():
    data = _load_data(_parsed("train", "blobs", "--n-samples", "30", "--noise", "0.2",
                              "--seed", "4"))  # fmt: skip
    X, y = lw.datasets.load("blobs", n_samples=30, noise=0.2, seed=4)
    np.testing.assert_array_equal(data["X"], X)
    np.testing.assert_array_equal(data["y"], y)
    assert (data["task"], data["n_classes"]) == ("multiclass", 3)
    assert data["about"] == {"data": "blobs", "n_samples": 30, "noise": 0.2,
                             "classes": [0, 1, 2], "task": "multiclass"}  # fmt: skip
    # labels asked to be a regression: the same values as floats
    data = _load_data(_parsed("train", "moons", "--task", "regression"))
    X, y = lw.datasets.load("moons", seed=0)
    np.testing.assert_array_equal(data["y"], y)
    assert data["y"].dtype == np.float64 and data["task"] == "regression"
    assert data["n_classes"] == 0 and "classes" not in data["about"]


def test_a_csv_file_is_what_load_csv_gives(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,label,b\n1,no,2\n3,yes,4.5\n5,no,6\n7,yes,8\n")
    data = _load_data(_parsed("train", str(path), "--target", "label"))
    X, y, info = lw.datasets.load_csv(path, target="label", return_info=True)
    np.testing.assert_array_equal(data["X"], X)
    np.testing.assert_array_equal(data["y"], y)
    assert (data["task"], data["n_classes"]) == (info.task, 2) == ("binary", 2)
    assert data["about"] == {"data": os.path.abspath(path), "target": "label",
                             "feature_names": ["a", "b"], "classes": ["no", "yes"],
                             "task": "binary"}  # fmt: skip


SYNTHETIC_ONLY = "--n-samples and --noise apply to synthetic data sets only"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["moons", "--target", "y"], "--target applies to CSV files only"),
        (["{csv}", "--n-samples", "5"], SYNTHETIC_ONLY),
        (["{csv}", "--noise", "0.1"], SYNTHETIC_ONLY),
    ],
)
def test_options_that_do_not_apply_are_refused(tmp_path, argv, message):
    path = tmp_path / "d.csv"
    path.write_text("a,y\n1,0\n2,1\n")
    args = _parsed("train", *(a.replace("{csv}", str(path)) for a in argv))
    with pytest.raises(CLIError, match=f"^{re.escape(message)}$"):
        _load_data(args)


@pytest.mark.parametrize(
    "args, needles",
    [
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


# ------------------------------------------------------------------------------ split, scale
@pytest.mark.parametrize("name, stratify", [("moons", True), ("sine", False)])
def test_the_split_is_train_test_split_scaled_on_its_training_part(name, stratify):
    preprocessing = pytest.importorskip("sklearn.preprocessing")
    X, y = lw.datasets.load(name, n_samples=50, seed=1)
    task = lw.datasets.task(name)
    data = _split_and_scale({"X": X, "y": y, "task": task}, 0.2, 5)
    X_tr, X_te, y_tr, y_te = lw.datasets.train_test_split(X, y, 0.2, seed=5, stratify=stratify)
    for key, want in [("X_train_raw", X_tr), ("X_test_raw", X_te), ("y_train", y_tr),
                      ("y_test", y_te)]:  # fmt: skip
        np.testing.assert_array_equal(data[key], want)
    scaler = preprocessing.StandardScaler().fit(X_tr)
    np.testing.assert_allclose(data["X_train"], scaler.transform(X_tr), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(data["X_test"], scaler.transform(X_te), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(data["scaler"].mean_, scaler.mean_, rtol=1e-12)
    assert data["X"] is X and data["task"] == task  # the data's own keys kept


def test_no_split_when_test_size_is_zero():
    X, y = lw.datasets.load("moons", n_samples=40, seed=1)
    data = _split_and_scale({"X": X, "y": y, "task": "binary"}, 0.0, 5)
    assert data["X_test"] is None and data["X_test_raw"] is None and data["y_test"] is None
    assert data["X_train_raw"] is X and data["y_train"] is y
    np.testing.assert_allclose(data["X_train"], (X - X.mean(0)) / X.std(0), rtol=1e-12)
