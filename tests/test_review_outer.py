"""Defects found by an adversarial review of the outer layers (cli, plot, sweep, docs).

Each test was written to fail before its fix; the oracle is the documented behaviour.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import layerwise as lw
from layerwise import cli

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_sweep_grid_accepts_numpy_arrays_of_values():
    # np.logspace(...) is the natural way to write a grid of learning rates; it used to
    # fail with NumPy's "truth value of an array is ambiguous".
    from layerwise.sweeps._runs import expand_grid

    configs = expand_grid({"lr": np.array([0.1, 0.01])}, {"epochs": 2})
    assert [c["lr"] for c in configs] == [0.1, 0.01]
    assert all(type(c["lr"]) is float for c in configs)


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


def _history(losses: list[float]) -> lw.History:
    model = lw.mlp(2, [3], 1, seed=0)
    X = np.zeros((4, 2))
    history = model.fit(X, np.zeros(4), loss="mse", lr=0.1, epochs=len(losses), verbose=False)
    history.loss[:] = losses
    return history


@pytest.mark.parametrize("draw", ["loss_curves", "loss_panels"])
def test_log_axis_of_a_loss_that_is_exactly_zero(draw, tmp_path):
    # A perfect fit (loss 0.0 at every epoch) made matplotlib warn "Data has no positive
    # values, and therefore cannot be log-scaled" (an error under pytest) and drew nothing.
    pytest.importorskip("matplotlib")
    history = _history([0.0, 0.0, 0.0])
    kwargs = {"logy": True} if draw == "loss_curves" else {}
    fig = getattr(lw.plot, draw)(history, path=tmp_path / "zero.png", **kwargs)
    log_panel = fig.axes[-1]
    assert log_panel.get_yscale() == "linear"
    assert "no positive" in log_panel.get_ylabel()
    assert (tmp_path / "zero.png").stat().st_size > 0


def test_log_axis_of_a_constant_positive_loss_stays_logarithmic():
    pytest.importorskip("matplotlib")
    fig = lw.plot.loss_curves(_history([0.3, 0.3, 0.3]), logy=True)
    assert fig.axes[0].get_yscale() == "log"
    lw.plot.close(fig)


@pytest.mark.parametrize("draw", ["loss_curves", "loss_panels", "accuracy_curves"])
def test_plots_refuse_an_empty_history_passed_alone(draw):
    # Inside a dict an empty History was refused; passed alone it drew an empty figure.
    pytest.importorskip("matplotlib")
    with pytest.raises(ValueError, match="empty: train for at least one epoch"):
        getattr(lw.plot, draw)(lw.History())


@pytest.mark.parametrize("output", ["sigmoid", "softmax"])
def test_decision_boundary_with_string_labels(output):
    # String class labels used to give NumPy's UFuncTypeError (sigmoid) or a figure with
    # no points at all (softmax). Labels are ranked in sorted order, as load_csv,
    # the CLI and MLPClassifier encode them.
    pytest.importorskip("matplotlib")
    X, y = lw.datasets.load("moons", n_samples=40, seed=0)
    units = 1 if output == "sigmoid" else 2
    model = lw.mlp(2, [4], units, output_activation=output, seed=0)
    names = np.where(y > 0, "yes", "no")  # sorted: "no" -> 0, "yes" -> 1
    fig = lw.plot.decision_boundary(model, X, names, resolution=10)
    ref = lw.plot.decision_boundary(model, X, y, resolution=10)
    from matplotlib.collections import PathCollection  # what scatter draws

    points = [c.get_offsets() for c in fig.axes[0].collections if type(c) is PathCollection]
    expected = [c.get_offsets() for c in ref.axes[0].collections if type(c) is PathCollection]
    assert len(points) == len(expected) == 2
    for got, want in zip(points, expected):
        np.testing.assert_array_equal(got, want)
    assert fig.axes[0].get_title() == ref.axes[0].get_title()
    lw.plot.close(fig)
    lw.plot.close(ref)


def test_cli_plugin_example_in_docs_runs_as_written():
    text = (DOCS / "cli.md").read_text()
    block = next(b for b in re.findall(r"```python\n(.*?)```", text, flags=re.S)
                 if "configure_parser" in b)  # fmt: skip
    namespace: dict = {}
    exec(compile(block, "docs/cli.md", "exec"), namespace)
    parser = namespace["argparse"].ArgumentParser()
    namespace["configure_parser"](parser)
    assert namespace["run_cli"](parser.parse_args(["--workers", "3"])) == 0


def test_save_refuses_a_scaler_of_another_width(tmp_path):
    # The file was written and only `layerwise predict` failed later, far from the cause.
    model = lw.mlp(2, [3], 1, seed=0)
    scaler = lw.datasets.StandardScaler().fit(np.arange(15.0).reshape(3, 5))
    path = tmp_path / "m.npz"
    with pytest.raises(ValueError, match=r"scaler.*5 features.*model takes 2"):
        lw.save(model, path, scaler=scaler)
    assert not path.exists()
    lw.save(model, path, scaler=lw.datasets.StandardScaler().fit(np.arange(6.0).reshape(3, 2)))
    assert lw.load(path).scaler.n_features_in_ == 2


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


def test_a_csv_that_is_not_utf8_gets_an_error_naming_the_file(tmp_path, capsys):
    # It used to be a bare "'utf-8' codec can't decode byte 0xe9 in position 13" that
    # named neither the file nor the fix.
    path = tmp_path / "latin1.csv"
    path.write_bytes("a,b,label\n1,2,caf\xe9\n3,4,th\xe9\n".encode("latin-1"))
    with pytest.raises(ValueError, match=r"latin1\.csv.*UTF-8"):
        lw.datasets.load_csv(path)
    lw.save(lw.mlp(2, [3], 1, seed=0), tmp_path / "m.npz")
    status = cli.main(["predict", str(tmp_path / "m.npz"), str(path)])
    err = capsys.readouterr().err.strip()
    assert status == 2 and len(err.splitlines()) == 1
    assert "latin1.csv" in err and "UTF-8" in err
