"""layerwise.cli._train: ``layerwise train``, run in subprocesses on small data. The oracle
of a run folder is the same pipeline redone with the library (load, split, scale, fit); its
files are read back (lw.load, the CSV, the pictures). Also growth from the command line and
``--resume`` of a checkpointed run. ``compare`` is tested in test_compare.py.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import numpy as np
import pytest

import layerwise as lw
from layerwise import cli
from tests import twins
from tests.cli.helpers import png, read_csv, run

pytest.importorskip("matplotlib")


# ------------------------------------------------------------------------------ train
def _retrain(dtype: str):
    """The CLI's pipeline redone with the library: the oracle for its saved model."""
    X, y = lw.datasets.load("moons", n_samples=80, seed=3)
    X_tr, X_te, y_tr, y_te = lw.datasets.train_test_split(X, y, 0.25, seed=3, stratify=True)
    scaler = lw.datasets.StandardScaler().fit(X_tr)
    model = lw.mlp(
        2, [6, 3], 1, activation="tanh", output_activation="sigmoid", seed=3, dtype=dtype
    )
    model.fit(
        scaler.transform(X_tr),
        y_tr,
        loss="bce",
        lr=0.2,
        epochs=12,
        batch_size=16,
        validation_data=(scaler.transform(X_te), y_te),
        verbose=False,
    )
    return model, scaler, X


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_train_saves_a_run_that_predicts_exactly(tmp_path, dtype):
    out = tmp_path / "run"
    result = run(
        "train",
        "moons",
        "--n-samples",
        "80",
        "--seed",
        "3",
        "--hidden",
        "6,3",
        "--lr",
        "0.2",
        "--epochs",
        "12",
        "--batch-size",
        "16",
        "--test-size",
        "0.25",
        "--dtype",
        dtype,
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # not a terminal: no progress bar
    assert f"run folder: {out}" in result.stdout
    names = {
        "model.npz",
        "config.json",
        "history.csv",
        "loss.png",
        "architecture.png",
        "accuracy.png",
        "decision_boundary.png",
    }
    assert names <= set(os.listdir(out))
    rows = read_csv(out / "history.csv")
    assert [int(r["epoch"]) for r in rows] == list(range(1, 13))
    assert {"loss", "val_loss", "accuracy", "val_accuracy"} <= set(rows[0])
    for name, shape in (
        ("loss.png", (420, 1100)),
        ("accuracy.png", (450, 700)),
        ("decision_boundary.png", (480, 550)),
    ):
        png(out / name, shape)
    png(out / "architecture.png")

    saved = lw.load(out / "model.npz")
    expected, scaler, X = _retrain(dtype)
    assert saved.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(saved.scaler.mean_, scaler.mean_)
    got = saved.predict(saved.scaler.transform(X))
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(got, expected.predict(scaler.transform(X)))
    assert saved.history.loss == [float(r["loss"]) for r in rows]
    config = json.loads((out / "config.json").read_text())
    assert config["settings"]["hidden"] == [6, 3] and config["settings"]["loss"] == "bce"
    assert saved.metadata["settings"]["lr"] == 0.2


def test_train_csv_then_predict_and_info(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    labels = np.where(X[:, 0] + 0.5 * X[:, 2] > 0, "yes", "no")
    data = tmp_path / "data.csv"
    with open(data, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["a", "label", "b", "c"])
        for row, lab in zip(X, labels):
            w.writerow([repr(float(row[0])), lab, repr(float(row[1])), repr(float(row[2]))])
    out = tmp_path / "run"
    result = run(
        "train",
        str(data),
        "--target",
        "label",
        "--hidden",
        "5",
        "--epochs",
        "30",
        "--lr",
        "0.5",
        "--out",
        str(out),
        "--quiet",
    )
    assert result.returncode == 0, result.stderr
    assert len(read_csv(out / "history.csv")) == 30
    assert not (out / "decision_boundary.png").exists()  # 3 features: no 2-D picture

    pred = tmp_path / "pred.csv"
    result = run("predict", str(out / "model.npz"), str(data), "--out", str(pred))
    assert result.returncode == 0, result.stderr
    assert "wrote 60 predictions" in result.stdout
    rows = read_csv(pred)
    model = lw.load(out / "model.npz")
    p = model.predict(model.scaler.transform(X))[:, 0]
    assert [float(r["probability"]) for r in rows] == p.astype(np.float64).tolist()
    assert [r["prediction"] for r in rows] == np.where(p > 0.5, "yes", "no").tolist()

    result = run("info", str(out / "model.npz"))
    assert result.returncode == 0, result.stderr
    assert "dense_0" in result.stdout and "epochs trained: 30" in result.stdout
    assert '"feature_names": ' not in result.stdout and 'feature_names: ["a", "b", "c"]' in (
        result.stdout
    )
    result = run("info", str(out / "model.npz"), "--json")
    header = json.loads(result.stdout)
    assert header["model"]["layers"][0]["units"] == 5 and header["metadata"]["classes"] == [
        "no",
        "yes",
    ]


def test_divergence_exits_1_with_one_line(tmp_path, capsys):
    status = cli.main(
        [
            "train",
            "sine",
            "--lr",
            "1e6",
            "--epochs",
            "20",
            "--quiet",
            "--out",
            str(tmp_path / "run"),
        ]
    )
    assert status == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "diverged" in err[0] and "smaller learning rate" in err[0]


# ------------------------------------------------------------------------------ pictures' names
def _boundary_figures(monkeypatch) -> list:
    """Keep every decision-boundary Figure the CLI draws (pyplot closes the written ones, but
    their axes and texts stay readable)."""
    drawn, draw = [], lw.plot.decision_boundary

    def keep(*args, **kwargs):
        drawn.append(draw(*args, **kwargs))
        return drawn[-1]

    monkeypatch.setattr(lw.plot, "decision_boundary", keep)
    return drawn


def _legend(fig) -> list[str]:
    return [t.get_text() for t in fig.axes[0].get_legend().get_texts()]


def test_csv_pictures_use_the_files_column_and_class_names(tmp_path, monkeypatch, capsys):
    data = Path(__file__).parents[2] / "examples" / "data" / "data.csv"
    drawn = _boundary_figures(monkeypatch)
    out = tmp_path / "run"
    assert cli.main(["train", str(data), "--epochs", "3", "--quiet", "--out", str(out)]) == 0
    (fig,) = drawn
    ax = fig.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("petal_width", "petal_length")
    assert _legend(fig) == ["blue", "orange"]
    assert fig.axes[1].get_ylabel() == "P(orange)"  # the colour bar of a sigmoid output
    from matplotlib.text import Text

    texts = " ".join(t.get_text() for t in fig.findobj(Text))
    assert "feature 0" not in texts and "class 0" not in texts and "class 1" not in texts
    png(out / "decision_boundary.png", (480, 550))

    # numeric labels and a softmax output: each class named after its column and value
    rows = ["x,y,kind"] + [f"{i % 5},{(i * 7) % 11},{i % 3}" for i in range(60)]
    (tmp_path / "n.csv").write_text("\n".join(rows) + "\n")
    args = ["train", str(tmp_path / "n.csv"), "--loss", "cce", "--epochs", "2", "--quiet"]
    assert cli.main([*args, "--out", str(tmp_path / "run2")]) == 0
    ax = drawn[1].axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x", "y")
    assert _legend(drawn[1]) == ["kind=0", "kind=1", "kind=2"]


def test_builtin_data_pictures_keep_the_generic_names(tmp_path, monkeypatch, capsys):
    drawn = _boundary_figures(monkeypatch)
    args = ["train", "blobs", "--epochs", "2", "--quiet", "--out", str(tmp_path / "run")]
    assert cli.main(args) == 0
    assert drawn[0].axes[0].get_xlabel() == "feature 0"
    assert _legend(drawn[0]) == ["class 0", "class 1", "class 2"]


def test_cli_train_grow(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    from layerwise import cli

    args = ["train", "circles", "--hidden", "2", "--epochs", "300", "--lr", "0.5", "--quiet"]
    grow = ["--grow", "patience=5,widen_by=3,max_units=8,max_layers=1"]
    assert cli.main([*args, *grow, "--out", str(tmp_path / "grown")]) == 0
    assert cli.main([*args, "--out", str(tmp_path / "fixed")]) == 0
    grown, fixed = (lw.load(tmp_path / name / "model.npz") for name in ("grown", "fixed"))
    assert [layer.units for layer in grown.layers] == [8, 1]
    assert [e["change"] for e in grown.history.events] == [
        "widen layer 0: 2 -> 5 units",
        "widen layer 0: 5 -> 8 units",
    ]
    assert grown.history.val_loss[-1] < fixed.history.val_loss[-1]
    capsys.readouterr()
    assert cli.main(["train", "circles", "--grow", "widen_by=0"]) == 2
    assert "widen_by must be a positive integer, got 0" in capsys.readouterr().err
    assert cli.main(["train", "circles", "--grow", "colour=red"]) == 2
    assert "unknown setting 'colour'; valid: patience" in capsys.readouterr().err


def test_command_line_checkpoint_and_resume(tmp_path, capsys):
    """`layerwise train --checkpoint` then `--resume` ends where the uninterrupted run does."""
    from layerwise import cli

    common = ["train", "moons", "--hidden", "8,4", "--optimizer", "adam", "--lr", "0.01",
              "--batch-size", "32", "--dropout", "0.1", "--l2", "1e-4", "--epochs", "6",
              "--schedule", "cosine:warmup_epochs=2", "--quiet"]  # fmt: skip
    ck = str(tmp_path / "ck{epoch}.npz")
    assert cli.main([*common, "--checkpoint", ck, "--out", str(tmp_path / "full")]) == 0
    resume = ["--resume", str(tmp_path / "ck2.npz"), "--out", str(tmp_path / "resumed")]
    assert cli.main([*common, *resume]) == 0
    full, resumed = lw.load(tmp_path / "full/model.npz"), lw.load(tmp_path / "resumed/model.npz")
    assert resumed.epochs_trained == full.epochs_trained == 6
    assert any(isinstance(layer, lw.Dropout) for layer in full.layers)
    assert full.layers[0].l2 == 1e-4 and isinstance(full.optimizer, lw.optimizers.Adam)
    for a, b in zip(full.parameters().values(), resumed.parameters().values(), strict=True):
        assert np.array_equal(a, b)
    # resuming past the end is refused in one line
    assert cli.main([*common, "--resume", str(tmp_path / "ck6.npz")]) == 2
    assert "already trained 6 epochs" in capsys.readouterr().err


GROW_RUN = ["train", "circles", "--hidden", "3", "--activation", "relu", "--optimizer",
            "adam", "--lr", "0.05", "--batch-size", "16", "--dropout", "0.1",
            "--epochs", "30", "--grow", "patience=2,widen_by=2,max_units=9,min_delta=0.02",
            "--early-stopping", "5", "--schedule", "plateau:patience=1,factor=0.5",
            "--seed", "3", "--quiet"]  # fmt: skip


@pytest.fixture(scope="module")
def grow_full_run(tmp_path_factory):
    """The uninterrupted run of GROW_RUN with a checkpoint every epoch (one for all k)."""
    from layerwise import cli

    folder = tmp_path_factory.mktemp("grow_run")
    ck = str(folder / "ck{epoch}.npz")
    assert cli.main([*GROW_RUN, "--checkpoint", ck, "--out", str(folder / "full")]) == 0
    return folder


@pytest.mark.parametrize("k", [3, 8])
def test_command_line_resume_with_grow_early_stopping_plateau_and_dropout(
    grow_full_run, tmp_path, k
):
    """`layerwise train --resume` from any epoch ends bit for bit where the uninterrupted
    run ends, with --grow, --early-stopping, --schedule plateau and --dropout in play."""
    from layerwise import cli

    resume = ["--resume", str(grow_full_run / f"ck{k}.npz"), "--out", str(tmp_path / "resumed")]
    assert cli.main([*GROW_RUN, *resume]) == 0
    full = lw.load(grow_full_run / "full/model.npz")
    resumed = lw.load(tmp_path / "resumed/model.npz")
    assert full.events and any(isinstance(layer, lw.Dropout) for layer in full.layers)
    assert resumed.epochs_trained == full.epochs_trained
    assert resumed.events == full.events
    twins.assert_same(resumed, full)
