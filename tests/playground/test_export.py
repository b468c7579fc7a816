"""layerwise.playground._export: the downloaded model loads with lw.load, the snippet
rebuilds the architecture, an uploaded CSV is read by the library's own parser.
"""

from __future__ import annotations

import io
import os
from contextlib import redirect_stdout

import numpy as np
import pytest

import layerwise as lw
from tests.playground.helpers import (
    download,
    new_session,
    open_session,
    post,
    post_to,
    snap,
    snapshot_of,
)

pytest.importorskip("starlette")


def test_model_download_loads_with_lw_load(client, tmp_path):
    s = open_session(client)
    post(client, "network", {"action": "add_layer"})
    post(client, "control", {"action": "step"})
    model = download(client, tmp_path)
    s = snap(client)
    assert [(l.units, l.activation.name) for l in model.layers] == [
        (l["units"], l["activation"]) for l in s["layers"]
    ]
    assert model.epochs_trained == 1
    assert model.metadata["playground"]["data"]["dataset"] == "circles"
    assert os.listdir(tmp_path) == ["model.npz"]


def test_snippet_rebuilds_the_architecture(client):
    open_session(client)
    post(client, "data", {"dataset": "moons", "n_samples": 100})
    post(client, "network", {"action": "add_neuron", "layer": 1})
    post(client, "network", {"action": "activation", "layer": 0, "activation": "relu"})
    post(client, "settings", {"optimizer": "adam", "lr": 0.01, "batch_size": 10})
    text = client.get(f"/api/session/{client.sid}/snippet").text
    namespace: dict = {}
    with redirect_stdout(io.StringIO()) as out:
        exec(compile(text, "snippet.py", "exec"), namespace)
    model = namespace["model"]
    assert [(l.units, l.activation.name) for l in model.layers] == [
        (6, "relu"), (5, "tanh"), (1, "sigmoid"),
    ]  # fmt: skip
    assert "test loss:" in out.getvalue()
    assert "optimizer='adam'" in text and "batch_size=10" in text


def test_your_own_csv_is_read_by_the_librarys_parser(client, tmp_path):
    sid = new_session(client)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    text = "a,b,label\n" + "".join(f"{p:.6f},{q:.6f},{t}\n" for (p, q), t in zip(X, y))
    path = tmp_path / "mine.csv"
    path.write_text(text)
    Xr, yr = lw.datasets.load_csv(path)
    r = post_to(client, sid, "csv", {"csv": text, "name": "mine.csv"})
    assert r["data"]["dataset"] == "csv" and r["task"] == "binary"
    s = snapshot_of(client, sid)
    assert "mine.csv" in s["message"]["text"]
    pts = client.get(f"/api/session/{sid}/points").json()
    got = np.vstack([pts["train"]["X"], pts["test"]["X"]])
    assert sorted(map(tuple, np.round(got, 5))) == sorted(map(tuple, np.round(Xr, 5)))
    post_to(client, sid, "control", {"action": "step"})
    err = post_to(client, sid, "csv", {"csv": "a,b,c,label\n1,2,3,0\n"}, status=400)["error"]
    assert "3 feature columns" in err or "rows" in err
    err = post_to(client, sid, "csv", {"csv": "a,b,label\n1,x,0\n" * 30}, status=400)["error"]
    assert "your CSV" in err and "/tmp" not in err
    assert snapshot_of(client, sid)["data"]["dataset"] == "csv"  # a refused upload changes nothing
