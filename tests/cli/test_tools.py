"""layerwise.cli._tools: ``layerwise predict``, ``gradcheck``, ``export`` and ``info`` on
saved runs; ONNX Runtime runs the exported graph, ``info`` escapes what a file may hold.
"""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

import layerwise as lw
from layerwise import cli
from tests.cli.helpers import one_line_error, read_csv, run
from tests.export.helpers import every_activation_model, inputs

pytest.importorskip("matplotlib")


def test_predict_needs_the_right_columns(tmp_path):
    model = lw.mlp(2, [3], 1, output_activation="sigmoid", seed=0)
    lw.save(model, tmp_path / "m.npz")
    extra = tmp_path / "extra.csv"
    extra.write_text("x,y,z\n1,2,3\n4,5,6\n")
    one_line_error(
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
    one_line_error(
        run("predict", str(tmp_path / "m.npz"), str(bad)),
        "bad.csv",
        "line 3",
        "column 'y'",
        "'oops'",
    )


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
        one_line_error(result, "pip install 'layerwise[onnx]'")
    else:
        assert result.returncode == 0, result.stderr
        assert (tmp_path / "m.onnx").stat().st_size > 0


def test_bad_model_files_give_one_line_and_status_2(tmp_path):
    model = lw.mlp(2, [3], 1, seed=0)
    lw.save(model, tmp_path / "m.npz")
    data = (tmp_path / "m.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(data[: len(data) // 2])
    one_line_error(run("info", str(tmp_path / "cut.npz")), "cut.npz", "truncated")
    (tmp_path / "text.npz").write_text("hello")
    one_line_error(
        run("predict", str(tmp_path / "text.npz"), str(tmp_path / "text.npz")),
        "text.npz",
        "not a layerwise model",
    )


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
    losses = [float(r["loss"]) for r in read_csv(out / "history.csv")]
    short = run("info", str(out / "model.npz"), "--json")
    assert short.returncode == 0, short.stderr
    assert len(short.stdout.splitlines()) < 300
    summary = json.loads(short.stdout)["history"]["loss"]
    assert summary["n"] == 300 and summary["last"] == pytest.approx(losses[-1])
    assert summary["min"] == pytest.approx(min(losses))
    full = run("info", str(out / "model.npz"), "--json", "--history")
    assert json.loads(full.stdout)["history"]["loss"] == pytest.approx(losses)
    one_line_error(run("info", str(out / "model.npz"), "--history"), "--json")


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


def test_cli_export_writes_a_runnable_graph(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    model = every_activation_model("float32")
    lw.save(model, tmp_path / "model.npz")
    saved = next(p for p in tmp_path.iterdir() if p.name.startswith("model"))
    rc = cli.main(["export", str(saved), "--onnx", str(tmp_path / "out.onnx"), "--opset", "20"])
    assert rc == 0
    X = inputs("float32")
    session = ort.InferenceSession(str(tmp_path / "out.onnx"), providers=["CPUExecutionProvider"])
    out = session.run(None, {"input": X})[0]
    np.testing.assert_allclose(out, model.predict(X), atol=1e-5)
