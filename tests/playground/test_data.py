"""Tests of TODO tests/playground/test_data.py."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.playground.helpers import (
    open_session,
    post,
    session_data,
    snap,
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
