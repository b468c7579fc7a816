"""The ``layerwise`` command, run in subprocesses on small data; its files checked."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import layerwise as lw
from layerwise import cli

pytest.importorskip("matplotlib")
import matplotlib.image as mpimg  # noqa: E402

DOCS = Path(__file__).resolve().parents[2] / "docs"


def run(*args: str, cwd: Path | None = None, timeout: float = 120):
    """``python -m layerwise ARGS`` with stderr not a terminal (so no progress bar)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "MPLBACKEND")}
    return subprocess.run(
        [sys.executable, "-m", "layerwise", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=timeout,
    )


def _png(path: Path, shape: tuple[int, int] | None = None) -> np.ndarray:
    image = mpimg.imread(path)
    if shape is not None:
        assert image.shape[:2] == shape, path
    assert image.ndim == 3 and float(image[..., :3].std()) > 0.01, f"{path} is blank"
    return image


def _csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _one_line_error(result, *needles: str) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


# ------------------------------------------------------------------------------ demo
@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "runs" / "demo"
    result = run("demo", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out, result


@pytest.mark.slow
def test_demo_reproduces_the_seed_experiment(demo):
    out, result = demo
    fast = [float(r["loss"]) for r in _csv(out / "history_lr0.01.csv")]
    slow = [float(r["loss"]) for r in _csv(out / "history_lr0.005.csv")]
    deep = [float(r["loss"]) for r in _csv(out / "history_deep.csv")]
    assert len(fast) == len(slow) == len(deep) == 5000
    assert fast[0] == slow[0]  # the same initial weights: the first error is the same
    # after the first epochs the smaller rate is behind at every epoch
    assert all(s > f for f, s in zip(fast[1:], slow[1:]))
    # both fall: end far below the start, and never rise by more than rounding
    for curve in (fast, slow):
        assert curve[-1] < 0.8 * curve[0]
        assert max(np.diff(curve)) < 1e-6
    assert deep[-1] < fast[-1] < slow[-1]  # the deeper network reaches a lower error


@pytest.mark.slow
def test_demo_files_and_report(demo):
    out, result = demo
    _png(out / "lr_comparison.png", (420, 1100))
    _png(out / "loss_curves.png", (420, 1100))
    _png(out / "decision_boundaries.png", (460, 1560))
    _png(out / "architecture.png", (520, 1200))
    for name in ("lr_comparison", "loss_curves", "decision_boundaries", "architecture"):
        assert str(out / f"{name}.png") in result.stdout
    summary = (out / "summary.md").read_text()
    assert "| 4 tanh, lr=0.01 " in summary and "| 16,16,8 tanh, lr=0.01 " in summary
    assert "epoch 1000" in summary and "epoch 5000" in summary
    # the table prints the errors of the history files
    fast = _csv(out / "history_lr0.01.csv")
    assert f"{float(fast[999]['loss']):.4f}" in summary.split("| 4 tanh, lr=0.01 ")[1]
    model = lw.load(out / "model_deep.npz")
    assert [layer.units for layer in model.layers] == [16, 16, 8, 1]
    assert model.history.loss == [float(r["loss"]) for r in _csv(out / "history_deep.csv")]


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
    rows = _csv(out / "history.csv")
    assert [int(r["epoch"]) for r in rows] == list(range(1, 13))
    assert {"loss", "val_loss", "accuracy", "val_accuracy"} <= set(rows[0])
    for name, shape in (
        ("loss.png", (420, 1100)),
        ("accuracy.png", (450, 700)),
        ("decision_boundary.png", (480, 550)),
    ):
        _png(out / name, shape)
    _png(out / "architecture.png")

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
    assert len(_csv(out / "history.csv")) == 30
    assert not (out / "decision_boundary.png").exists()  # 3 features: no 2-D picture

    pred = tmp_path / "pred.csv"
    result = run("predict", str(out / "model.npz"), str(data), "--out", str(pred))
    assert result.returncode == 0, result.stderr
    assert "wrote 60 predictions" in result.stdout
    rows = _csv(pred)
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


def test_predict_needs_the_right_columns(tmp_path):
    model = lw.mlp(2, [3], 1, output_activation="sigmoid", seed=0)
    lw.save(model, tmp_path / "m.npz")
    extra = tmp_path / "extra.csv"
    extra.write_text("x,y,z\n1,2,3\n4,5,6\n")
    _one_line_error(
        run("predict", str(tmp_path / "m.npz"), str(extra)), "extra.csv", "3 columns", "--columns"
    )
    result = run("predict", str(tmp_path / "m.npz"), str(extra), "--columns", "x,z")
    assert result.returncode == 0, result.stderr
    p = model.predict(np.array([[1.0, 3.0], [4.0, 6.0]]))[:, 0]
    assert [float(r["probability"]) for r in csv.DictReader(result.stdout.splitlines())] == (
        p.astype(np.float64).tolist()
    )
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n1,2\n3,oops\n")
    _one_line_error(
        run("predict", str(tmp_path / "m.npz"), str(bad)),
        "bad.csv",
        "line 3",
        "column 'y'",
        "'oops'",
    )


# ------------------------------------------------------------------------------ compare
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
    h0, h1 = _csv(out / "history_0.csv"), _csv(out / "history_1.csv")
    assert len(h0) == len(h1) == 15
    assert h0[0]["loss"] == h1[0]["loss"]  # same initial weights, same first error
    assert float(h0[-1]["loss"]) < float(h1[-1]["loss"])
    _png(out / "lr_comparison.png", (420, 1100))
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
    _png(out / "comparison.png", (420, 1100))
    assert "| hidden 3 " in result.stdout and "| hidden 8,4 " in result.stdout
    result = run("compare", "moons", "--lr", "0.1", "--out", str(out))
    _one_line_error(result, "several --lr values")


# ------------------------------------------------------------------------------ gradcheck
def test_gradcheck_pass_and_fail(tmp_path):
    result = run("gradcheck", "blobs", "--hidden", "5,3", "--rows", "12")
    assert result.returncode == 0, result.stderr
    assert "PASS" in result.stdout and "max relative error" in result.stdout
    error = float(result.stdout.split("max relative error: ")[1].split()[0])
    assert error < 1e-6
    result = run("gradcheck", "moons", "--threshold", "1e-300")
    assert result.returncode == 1 and "FAIL" in result.stdout


# ------------------------------------------------------------------------------ export
def test_export_onnx_or_names_the_extra(tmp_path):
    model = lw.mlp(2, [3], 1, output_activation="sigmoid", seed=0)
    lw.save(model, tmp_path / "m.npz")
    result = run("export", str(tmp_path / "m.npz"), "--onnx", str(tmp_path / "m.onnx"))
    try:
        from layerwise.export import to_onnx  # noqa: F401
    except ImportError:
        _one_line_error(result, "pip install 'layerwise[onnx]'")
    else:
        assert result.returncode == 0, result.stderr
        assert (tmp_path / "m.onnx").stat().st_size > 0


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
    _one_line_error(run(*args), *needles)


def test_bad_model_files_give_one_line_and_status_2(tmp_path):
    model = lw.mlp(2, [3], 1, seed=0)
    lw.save(model, tmp_path / "m.npz")
    data = (tmp_path / "m.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(data[: len(data) // 2])
    _one_line_error(run("info", str(tmp_path / "cut.npz")), "cut.npz", "truncated")
    (tmp_path / "text.npz").write_text("hello")
    _one_line_error(
        run("predict", str(tmp_path / "text.npz"), str(tmp_path / "text.npz")),
        "text.npz",
        "not a layerwise model",
    )


def test_help_on_every_subcommand(capsys):
    for name in ("demo", "train", "compare", "gradcheck", "predict", "info", "export"):
        assert cli.main([name, "--help"]) == 0
        out = capsys.readouterr().out
        assert out.startswith(f"usage: layerwise {name}"), out[:80]
    assert cli.main(["--help"]) == 0
    top = capsys.readouterr().out
    for name in ("demo", "train", "compare", "gradcheck", "predict", "info", "export"):
        assert name in top


def test_train_help_lists_the_basic_flags(capsys):
    cli.main(["train", "--help"])
    out = capsys.readouterr().out
    for flag in (
        "--target",
        "--hidden",
        "--activation",
        "--output-activation",
        "--loss",
        "--lr",
        "--epochs",
        "--batch-size",
        "--seed",
        "--dtype",
        "--test-size",
        "--out",
        "--quiet",
    ):
        assert flag in out


def test_progress_bar_on_a_terminal_only(tmp_path):
    fcntl = pytest.importorskip("fcntl")
    import struct
    import termios

    for quiet in (False, True):
        master, slave = os.openpty()
        # a terminal has a size (tqdm draws nothing on a 0-column one): 80 columns, where
        # tqdm's own postfix used to cut val_loss and leave no room for the bar
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        args = [
            sys.executable,
            "-m",
            "layerwise",
            "train",
            "moons",
            "--n-samples",
            "40",
            "--epochs",
            "30",
            "--hidden",
            "3",
            "--out",
            str(tmp_path / f"r{quiet}"),
        ]
        proc = subprocess.run(
            args + (["--quiet"] if quiet else []), stdout=subprocess.PIPE, stderr=slave, timeout=120
        )
        os.close(slave)
        chunks = []
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(master)
        err = b"".join(chunks).decode(errors="replace")
        assert proc.returncode == 0
        if quiet:
            assert err == ""
        else:
            frames = [f for f in err.replace("\r", "\n").split("\n") if f.strip()]
            assert all(len(f) < 80 for f in frames), frames  # the last column left free
            assert frames[-1].startswith("30/30 |" + "█" * 10)  # the bar, full
            # the bar ends showing the last epoch's losses, as recorded in the history
            history = lw.load(tmp_path / "rFalse" / "model.npz").history
            assert (
                f"loss={history.loss[-1]:.4g} val_loss={history.val_loss[-1]:.4g}" in (frames[-1])
            )


# ------------------------------------------------------------------------------ plugins
def test_plugin_protocol(monkeypatch, capsys):
    calls = []
    good = types.ModuleType("fake_plugin")
    good.__doc__ = "Do a fake thing.\n\nLonger text."
    good.configure_parser = lambda p: p.add_argument("--times", type=int, default=1)
    good.run_cli = lambda args: calls.append(args.times) or 0
    monkeypatch.setitem(sys.modules, "fake_plugin", good)
    broken = types.ModuleType("broken_plugin")
    monkeypatch.setitem(sys.modules, "broken_plugin", broken)  # no configure_parser: skipped
    monkeypatch.setattr(
        cli,
        "PLUGINS",
        {"fake": "fake_plugin", "absent": "no_such_module_xyz", "half": "broken_plugin"},
    )
    assert cli.main(["fake", "--times", "3"]) == 0
    assert calls == [3]
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "Do a fake thing." in out and "absent" not in out and "half" not in out


def test_plugin_with_a_missing_dependency_explains(monkeypatch, capsys):
    import importlib

    real = importlib.import_module

    def fake_import(name, *a, **k):
        if name == "needs_extra_plugin":
            raise ModuleNotFoundError("No module named 'starlette'", name="starlette")
        return real(name, *a, **k)

    monkeypatch.setattr(cli.importlib, "import_module", fake_import)
    monkeypatch.setattr(cli, "PLUGINS", {"web": "needs_extra_plugin"})
    assert cli.main(["web"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "starlette" in err[0]


def test_console_script_is_installed():
    script = Path(sys.executable).parent / "layerwise"
    if not script.exists():
        pytest.skip("the console script is installed by pip install -e .")
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == f"layerwise {lw.__version__}"


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


# ------------------------------------------------------------------------------ one vocabulary
def _subparsers(parser) -> dict:
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def test_every_option_of_every_subcommand_has_help():
    import argparse

    parser = cli.build_parser()
    subs = _subparsers(parser)
    assert {"demo", "train", "compare", "sweep", "info"} <= set(subs)
    missing = []
    for name, sub in [("layerwise", parser), *subs.items()]:
        for action in sub._actions:
            if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
                continue
            if not action.help or action.help == argparse.SUPPRESS:
                missing.append(f"{name} {'/'.join(action.option_strings) or action.dest}")
    assert not missing, f"options without help text: {missing}"


def test_train_compare_and_sweep_share_one_vocabulary_and_defaults(tmp_path):
    from layerwise.cli._common import DEFAULTS
    from layerwise.sweeps._cli import _grid

    subs = _subparsers(cli.build_parser())
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


@pytest.mark.slow
def test_sweep_runs_with_the_train_defaults(tmp_path):
    result = run(
        "sweep", "moons", "--hidden", "4", "none", "--epochs", "3", "--jobs", "1",
        "--out", str(tmp_path / "s"), "--quiet", timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = _csv(tmp_path / "s" / "results.csv")
    assert {r["activation"] for r in rows} == {"tanh"}
    assert {r["lr"] for r in rows} == {"0.05"}
    assert {r["hidden"] for r in rows} == {"[4]", "[]"}


def test_train_data_given_twice_or_not_at_all_is_one_line(tmp_path):
    _one_line_error(run("train", "moons", "--data", "iris"), "give the data once")
    _one_line_error(run("train", "--epochs", "3"), "give the data")
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
    n_classes = len(set(_csv(data)[i]["price"] for i in range(300)))
    assert lw.load(tmp_path / "cls" / "model.npz").output_dim == n_classes
    error = _one_line_error(
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
    assert "accuracy" not in _csv(tmp_path / "r" / "history.csv")[0]
    _one_line_error(run("train", "sine", "--task", "classification"), "continuous targets")


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


# ------------------------------------------------------------------------------ info
def test_info_escapes_control_characters(tmp_path):
    model = lw.mlp(2, [3], 1, seed=0)
    evil = "\x1b[2J\x1b]0;owned\x07"
    lw.save(model, tmp_path / "m.npz", metadata={f"key{evil}": f"value{evil}", "ok": "café"})
    for extra in ([], ["--json"]):
        result = run("info", str(tmp_path / "m.npz"), *extra)
        assert result.returncode == 0, result.stderr
        assert "\x1b" not in result.stdout and "\x07" not in result.stdout
        assert "key" in result.stdout and ("\\x1b" in result.stdout or "\\u001b" in result.stdout)


def test_info_json_summarises_the_history_and_gives_it_all_on_request(tmp_path):
    out = tmp_path / "r"
    result = run("train", "moons", "--hidden", "3", "--epochs", "300", "--out", str(out))
    assert result.returncode == 0, result.stderr
    losses = [float(r["loss"]) for r in _csv(out / "history.csv")]
    short = run("info", str(out / "model.npz"), "--json")
    assert short.returncode == 0, short.stderr
    assert len(short.stdout.splitlines()) < 300
    summary = json.loads(short.stdout)["history"]["loss"]
    assert summary["n"] == 300 and summary["last"] == pytest.approx(losses[-1])
    assert summary["min"] == pytest.approx(min(losses))
    full = run("info", str(out / "model.npz"), "--json", "--history")
    assert json.loads(full.stdout)["history"]["loss"] == pytest.approx(losses)
    _one_line_error(run("info", str(out / "model.npz"), "--history"), "--json")


def test_info_json_keeps_everything_but_the_history_whole(tmp_path):
    model = lw.mlp(12, [3], 1, seed=0)
    X = np.random.default_rng(0).normal(size=(40, 12))
    scaler = lw.datasets.StandardScaler().fit(X)
    lw.save(model, tmp_path / "m.npz", scaler=scaler, metadata={"widths": list(range(30))})
    header = json.loads(run("info", str(tmp_path / "m.npz"), "--json").stdout)
    assert header["scaler"]["mean"] == pytest.approx(X.mean(axis=0).tolist())
    assert header["metadata"]["widths"] == list(range(30))


def test_info_on_events_without_an_epoch(tmp_path):
    model = lw.mlp(2, [3], 1, seed=0)
    model.events.append({"change": "widened by hand"})  # as a file written elsewhere may hold
    lw.save(model, tmp_path / "m.npz")
    result = run("info", str(tmp_path / "m.npz"))
    assert result.returncode == 0, result.stderr
    assert "widened by hand" in result.stdout
    result = run("info", str(tmp_path / "m.npz"), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["events"] == [{"change": "widened by hand"}]


def test_a_saved_estimator_is_refused_in_one_line(tmp_path):
    import warnings

    sklearn = pytest.importorskip("sklearn")
    X, y = lw.datasets.load("moons", n_samples=60, seed=0)
    with warnings.catch_warnings():  # a few iterations are enough to have a saved estimator
        warnings.simplefilter("ignore", sklearn.exceptions.ConvergenceWarning)
        clf = lw.MLPClassifier(hidden_layer_sizes=(3,), max_iter=5, random_state=0).fit(X, y)
    lw.save(clf, tmp_path / "clf.npz")
    (tmp_path / "x.csv").write_text("x0,x1\n0.5,0.1\n")
    path, csv_path = str(tmp_path / "clf.npz"), str(tmp_path / "x.csv")
    for argv in (["info", path], ["info", path, "--json"], ["predict", path, csv_path],
                 ["gradcheck", "moons", "--model", path]):  # fmt: skip
        _one_line_error(run(*argv), "clf.npz holds a saved MLPClassifier", "layerwise train")


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
    _png(out / "decision_boundary.png", (480, 550))

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


def test_cli_plugin_example_in_docs_runs_as_written():
    text = (DOCS / "cli.md").read_text()
    block = next(b for b in re.findall(r"```python\n(.*?)```", text, flags=re.S)
                 if "configure_parser" in b)  # fmt: skip
    namespace: dict = {}
    exec(compile(block, "docs/cli.md", "exec"), namespace)
    parser = namespace["argparse"].ArgumentParser()
    namespace["configure_parser"](parser)
    assert namespace["run_cli"](parser.parse_args(["--workers", "3"])) == 0
