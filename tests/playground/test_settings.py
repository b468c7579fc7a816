"""Tests of TODO tests/playground/test_settings.py."""

from __future__ import annotations

import pytest

import layerwise as lw
from tests.playground.helpers import open_session, post, snap

pytest.importorskip("starlette")


def test_options_list_the_libraries_names(client):
    o = client.get("/api/options").json()
    assert o["datasets"] == [
        "circles", "xor", "gauss", "spirals", "plane", "multi-gauss", "moons", "blobs", "flower",
    ]  # fmt: skip
    assert o["features"] == ["x1", "x2", "x1^2", "x2^2", "x1x2", "sin x1", "sin x2"]
    assert set(o["optimizers"]) == set(lw.optimizers.names())
    assert "softmax" not in o["activations"] and "tanh" in o["activations"]
    assert o["limits"]["max_hidden_layers"] == 6 and o["limits"]["max_units"] == 32


def test_regenerate_draws_new_points(client):
    open_session(client)
    before = client.get(f"/api/session/{client.sid}/points").json()
    r = post(client, "data", {"regenerate": True})
    after = client.get(f"/api/session/{client.sid}/points").json()
    assert r["data"]["seed"] == 1 and after["data_version"] == before["data_version"] + 1
    assert after["train"]["X"] != before["train"]["X"]


def test_settings_every_optimizer_lr_batch_l2(client):
    open_session(client)
    for name in lw.optimizers.names():
        r = post(client, "settings", {"optimizer": name, "lr": 0.01, "batch_size": 8})
        assert r["settings"]["optimizer"] == name
        post(client, "control", {"action": "step"})
    r = post(client, "settings", {"l2": 0.001})
    assert r["settings"]["l2"] == 0.001
    s = snap(client)
    assert s["settings"] == {"optimizer": name, "lr": 0.01, "batch_size": 8, "l1": 0.0, "l2": 0.001}
