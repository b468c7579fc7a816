"""layerwise.cli._model: the network of a command. Its options (--hidden in every spelling,
the output and loss from the task or from each other), the network built as ``lw.mlp``
builds it (the oracle) with --l2 and --dropout, the output units and targets the loss needs,
sizes beyond memory refused before allocating, and a saved estimator refused where a
network is expected.
"""

from __future__ import annotations

import argparse
import os
import re

import numpy as np
import pytest

import layerwise as lw
from layerwise import cli
from layerwise.cli._common import CLIError
from layerwise.cli._model import (
    _build_model,
    _hidden,
    _load_network,
    _output_dim,
    _resolve_output,
    _targets,
)
from tests.cli.helpers import subparsers

pytest.importorskip("matplotlib")


def _parsed(command: str, *argv: str) -> argparse.Namespace:
    return subparsers(cli.build_parser())[command].parse_args(["moons", *argv])


# ------------------------------------------------------------------------------ options
@pytest.mark.parametrize(
    "text, widths",
    [("16,8", [16, 8]), ("3", [3]), ("", []), ("0", []), ("none", []), (" None ", [])],
)
def test_hidden_reads_comma_separated_widths(text, widths):
    assert _hidden(text) == widths


@pytest.mark.parametrize("text", ["4,x", "0,4", "-1", "4,,2", "1.5"])
def test_hidden_refuses_what_is_not_positive_widths(text):
    message = f"--hidden must be comma-separated positive integers such as 16,8, got {text!r}"
    with pytest.raises(argparse.ArgumentTypeError, match=f"^{re.escape(message)}$"):
        _hidden(text)


@pytest.mark.parametrize(
    "task, loss, output, expected",
    [
        ("binary", None, None, ("sigmoid", "bce")),
        ("multiclass", None, None, ("softmax", "cce")),
        ("regression", None, None, ("identity", "mse")),
        ("binary", "bce", None, ("sigmoid", "bce")),
        ("binary", "mse", None, ("identity", "mse")),
        ("regression", "cce", None, ("softmax", "cce")),
        ("binary", None, "softmax", ("softmax", "cce")),
        ("regression", None, "sigmoid", ("sigmoid", "bce")),
        ("multiclass", None, "tanh", ("tanh", "mse")),
        ("multiclass", "mse", "relu", ("relu", "mse")),
    ],
)
def test_output_and_loss_come_from_the_task_or_from_each_other(task, loss, output, expected):
    argv = [
        *(["--loss", loss] if loss else []),
        *(["--output-activation", output] if output else []),
    ]
    args = _parsed("train", *argv)
    _resolve_output(args, task)
    assert (args.output_activation, args.loss) == expected


def test_hidden_widths_with_spaces_or_commas(tmp_path, capsys):
    from layerwise.cli import main

    for spelling in (["16", "8"], ["16,8"]):
        out = tmp_path / "-".join(spelling)
        argv = ["train", "moons", "--hidden", *spelling, "--epochs", "1", "--quiet"]
        assert main([*argv, "--out", str(out)]) == 0
        assert [layer.units for layer in lw.load(out / "model.npz").layers] == [16, 8, 1]
    capsys.readouterr()
    assert main(["train", "moons", "--hidden", "none", "4"]) == 2
    assert "'none' (no hidden layer) goes alone" in capsys.readouterr().err


# ------------------------------------------------------------------------------ refusals
@pytest.mark.parametrize(
    "args, needles",
    [
        (["train", "moons", "--hidden", "100000000"], ["hidden widths 100000000", "GiB"]),
        (["train", "moons", "--hidden", "16,100000000"], ["hidden widths 16,100000000"]),
        (["compare", "moons", "--hidden", "4", "100000000"], ["100000000", "GiB"]),
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


# ------------------------------------------------------------------------------ outputs
@pytest.mark.parametrize(
    "loss, task, units",
    [("cce", "multiclass", 3), ("bce", "multiclass", 3), ("bce", "binary", 1),
     ("mse", "multiclass", 1), ("mse", "regression", 1)],
)  # fmt: skip
def test_output_units_and_targets_are_what_the_loss_needs(loss, task, units):
    args = _parsed("train", "--loss", loss)
    y = np.array([2, 0, 1, 1, 0]) if task == "multiclass" else np.array([1, 0, 1, 1, 0])
    assert _output_dim(args, {"task": task, "n_classes": 3}) == units
    targets = _targets(y, args, units)
    if loss == "bce" and units > 1:  # one column per class, as for a multilabel bce
        np.testing.assert_array_equal(targets, np.eye(3)[y])
    else:
        assert targets is y
    assert _targets(None, args, units) is None


def test_a_class_loss_on_a_regression_set_is_refused():
    args = _parsed("train", "--loss", "cce")
    args.data = "sine"
    with pytest.raises(
        CLIError, match=r"^--loss cce needs class labels; sine is a regression set$"
    ):
        _output_dim(args, {"task": "regression", "n_classes": 0})


# ------------------------------------------------------------------------------ the network
def test_the_network_is_mlp_with_l2_and_dropout_after_each_hidden_layer():
    args = _parsed("train", "--hidden", "5,3", "--activation", "relu", "--seed", "7",
                   "--dtype", "float64", "--l2", "0.01", "--dropout", "0.25")  # fmt: skip
    _resolve_output(args, "binary")
    model = _build_model(args, 2, 1, n_rows=40)
    expected = lw.mlp(2, [5, 3], 1, activation="relu", output_activation="sigmoid", seed=7,
                      dtype="float64")  # fmt: skip
    assert [type(layer).__name__ for layer in model.layers] == [
        "Dense", "Dropout", "Dense", "Dropout", "Dense"
    ]  # fmt: skip
    assert [layer.rate for layer in model.layers[1::2]] == [0.25, 0.25]
    assert [layer.l2 for layer in model.layers[::2]] == [0.01] * 3
    assert [layer.describe() for layer in model.layers[::2]] == ["relu", "relu", "sigmoid"]
    assert model.dtype == np.dtype("float64")
    got, want = model.parameters(), expected.parameters()
    assert [v.shape for v in got.values()] == [v.shape for v in want.values()]
    for a, b in zip(got.values(), want.values(), strict=True):
        np.testing.assert_array_equal(a, b)  # the same initial weights, bit for bit


def test_compare_builds_the_plain_network():
    args = _parsed("compare", "--hidden", "4", "--seed", "2")
    args.hidden = args.hidden[0]  # compare builds one layout at a time
    _resolve_output(args, "multiclass")
    model = _build_model(args, 3, 4)
    expected = lw.mlp(3, [4], 4, activation="tanh", output_activation="softmax", seed=2)
    assert [layer.l2 for layer in model.layers] == [0.0, 0.0]
    assert model.dtype == np.dtype("float32")
    for a, b in zip(model.parameters().values(), expected.parameters().values(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_saved_network_is_loaded_as_saved(tmp_path):
    model = lw.mlp(2, [3], 1, output_activation="sigmoid", seed=0)
    lw.save(model, tmp_path / "m.npz")
    loaded = _load_network(tmp_path / "m.npz")
    assert isinstance(loaded, lw.Sequential)
    for a, b in zip(loaded.parameters().values(), model.parameters().values(), strict=True):
        np.testing.assert_array_equal(a, b)
