"""Tests of TODO tests/playground/test_export.py."""

from __future__ import annotations

import io
import os
from contextlib import redirect_stdout

import pytest

from tests.playground.helpers import (
    download,
    open_session,
    post,
    snap,
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
