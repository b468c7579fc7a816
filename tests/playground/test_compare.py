"""Tests of TODO tests/playground/test_compare.py."""

from __future__ import annotations

import numpy as np
import pytest

import layerwise as lw
from tests.playground.helpers import (
    data_loss,
    open_session,
    post,
    session_data,
    snap,
    wait_for,
)

pytest.importorskip("starlette")


# ---------------------------------------------------------------------------- compare, export
def test_compare_learning_rates_replays_fit(client):
    s = open_session(client)
    Xtr, _, ytr, _ = session_data(s)
    post(client, "settings", {"batch_size": 32})
    post(client, "control", {"action": "step"})  # the comparison starts from fresh weights
    post(client, "compare", {"lr_a": 0.05, "lr_b": 0.5, "epochs": 25})
    s = wait_for(client, lambda s: s["compare"] and not s["compare"]["running"])
    runs = s["compare"]["runs"]
    assert [r["lr"] for r in runs] == [0.05, 0.5]
    assert runs[0]["train"][0] == runs[1]["train"][0]  # same initial weights
    for run in runs:
        assert run["epoch"] == list(range(26))
        model = lw.mlp(2, [6, 4], 1, activation="tanh", output_activation="sigmoid", seed=0,
                       dtype="float64")  # fmt: skip
        losses = [data_loss(model, Xtr, ytr, "bce")]
        for _ in range(25):
            model.fit(Xtr, ytr, loss="bce", lr=run["lr"], epochs=1, batch_size=32, verbose=False)
            losses.append(data_loss(model, Xtr, ytr, "bce"))
        np.testing.assert_allclose(run["train"], losses, rtol=1e-10)
    assert s["epoch"] == 1  # the main network was left alone
    assert "finished" in s["message"]["text"]


def test_compare_can_be_stopped(client):
    open_session(client)
    post(client, "compare", {"lr_a": 0.01, "lr_b": 0.1, "epochs": 5000})
    wait_for(client, lambda s: s["compare"]["runs"][0]["epoch"][-1] > 5)
    assert post(client, "compare", {"action": "stop"})["mode"] == "paused"
    assert snap(client)["compare"]["running"] is False
