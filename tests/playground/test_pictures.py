"""Tests of TODO tests/playground/test_pictures.py."""

from __future__ import annotations

import numpy as np
import pytest

import layerwise as lw
from tests.playground.helpers import (
    new_session,
    post_to,
    snapshot_of,
)

pytest.importorskip("starlette")


def test_a_regression_csv_is_drawn_on_the_scale_of_its_targets(client, tmp_path):
    sid = new_session(client)
    rng = np.random.default_rng(2)
    X = rng.uniform(-1, 1, size=(50, 2))
    text = "a,b,price\n" + "".join(f"{p:.5f},{q:.5f},{30 * p + 0.5:.5f}\n" for p, q in X)
    path = tmp_path / "prices.csv"
    path.write_text(text)
    _, y = lw.datasets.load_csv(path)
    assert post_to(client, sid, "csv", {"csv": text})["task"] == "regression"
    s = snapshot_of(client, sid)
    assert s["boundary"]["kind"] == "regression"
    assert s["boundary"]["scale"] == pytest.approx(np.abs(y).max())
    assert client.get(f"/api/session/{sid}/points").json()["scale"] == s["boundary"]["scale"]
