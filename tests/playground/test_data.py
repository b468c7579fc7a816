"""Tests of TODO tests/playground/test_data.py."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.playground.helpers import (
    model_of,
    new_session,
    open_session,
    post,
    post_to,
    served_split,
    session_data,
    snap,
    snapshot_of,
)

pytest.importorskip("starlette")


@pytest.mark.parametrize("dataset", ["xor", "moons", "circles", "spirals", "blobs", "flower"])
def test_every_data_set(client, dataset):
    open_session(client)
    r = post(client, "data", {"dataset": dataset, "noise": 0.2, "test_ratio": 0.25,
                              "n_samples": 120})  # fmt: skip
    s = snap(client)
    n_classes = 3 if dataset == "blobs" else 2
    out = s["layers"][-1]
    assert (out["units"], out["activation"]) == (
        (3, "softmax") if n_classes == 3 else (1, "sigmoid")
    )
    assert r["data"]["dataset"] == dataset and s["epoch"] == 0
    Xtr, Xte, ytr, yte = session_data(s)
    pts = client.get(f"/api/session/{client.sid}/points").json()
    assert len(pts["test"]["X"]) == math.ceil(0.25 * 120) == len(Xte)
    np.testing.assert_allclose(pts["test"]["X"], Xte, atol=1e-5)
    post(client, "control", {"action": "step"})  # trains on any of them


def test_l1_is_a_soft_threshold_after_each_step(client, tmp_path):
    sid = new_session(client)
    Xtr, _, ytr, _ = served_split(snapshot_of(client, sid))
    post_to(client, sid, "settings", {"optimizer": "sgd", "lr": 0.5, "batch_size": len(Xtr),
                                   "l1": 0.02})  # fmt: skip
    model = model_of(client, sid, tmp_path, "before.npz")
    post_to(client, sid, "control", {"action": "step"})
    A, caches = model.forward(Xtr)
    model.update(model.backward(caches, ytr, "bce"), lr=0.5)
    for layer in model.layers:
        layer.W[...] = np.sign(layer.W) * np.maximum(np.abs(layer.W) - 0.5 * 0.02, 0.0)
    served = model_of(client, sid, tmp_path, "after.npz")
    for p, q in zip(served.layers, model.layers):
        np.testing.assert_allclose(p.W, q.W, atol=1e-12)
        np.testing.assert_allclose(p.b, q.b, atol=1e-12)
    assert "SoftThreshold(0.02" in client.get(f"/api/session/{sid}/snippet").text
