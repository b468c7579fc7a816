"""layerwise.playground._settings: what the page may set. A shared state rebuilds the same
network and run (the oracle: ``lw.mlp`` + ``fit`` replaying it); a bad or refused change
changes nothing; a change of data or inputs goes on training (or stays paused), ends a
comparison; the options list the library's names.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

import layerwise as lw
from layerwise._internal import memory as _memory
from tests.playground.helpers import (
    model_of,
    new_session,
    open_session,
    post,
    post_to,
    served_split,
    snap,
    snapshot_of,
    wait_epoch,
)

pytest.importorskip("starlette")

from layerwise.playground import data  # noqa: E402


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


STATE = {
    "dataset": "gauss",
    "noise": 0.2,
    "test_ratio": 0.25,
    "n_samples": 120,
    "data_seed": 3,
    "features": ["x1", "x2", "x1^2", "sin x2"],
    "units": [5, 3],
    "activations": ["relu", "tanh"],
    "optimizer": "adam",
    "lr": 0.03,
    "batch_size": 10,
    "l1": 0.0,
    "l2": 0.0,
    "seed": 7,
}


def test_a_shared_state_rebuilds_the_same_network_and_the_same_run(client, tmp_path):
    a, b = new_session(client), new_session(client)
    post_to(client, b, "network", {"action": "add_layer"})  # b starts elsewhere
    for sid in (a, b):
        post_to(client, sid, "state", STATE)
        for _ in range(3):
            post_to(client, sid, "control", {"action": "step"})
    sa, sb = snapshot_of(client, a), snapshot_of(client, b)
    assert sa["features"] == sb["features"] == STATE["features"] and sa["seed"] == 7
    assert [(l["units"], l["activation"]) for l in sa["layers"]] == [
        (5, "relu"), (3, "tanh"), (1, "sigmoid"),
    ]  # fmt: skip
    assert sa["history"] == sb["history"] and sa["epoch"] == 3
    # the oracle: the same network built and trained by the library itself
    Xtr, _, ytr, _ = served_split(sa)
    F = data.features(Xtr, STATE["features"])
    model = lw.mlp(4, [5, 3], 1, activation=["relu", "tanh"], output_activation="sigmoid",
                   seed=7, dtype="float64")  # fmt: skip
    for _ in range(3):
        model.fit(F, ytr, loss="bce", optimizer="adam", lr=0.03, epochs=1, batch_size=10,
                  verbose=False)  # fmt: skip
    served = model_of(client, a, tmp_path)
    for p, q in zip(served.layers, model.layers):
        np.testing.assert_allclose(p.W, q.W, atol=1e-12)


def test_a_bad_state_changes_nothing(client):
    sid = new_session(client)
    before = snapshot_of(client, sid)
    for bad in (
        {**STATE, "units": [5, 40]},
        {**STATE, "activations": ["relu"]},
        {**STATE, "features": ["x3"]},
        {**STATE, "lr": -1},
        {**STATE, "dataset": "mnist"},
    ):
        r = client.post(f"/api/session/{sid}/state", json=bad)
        assert r.status_code == 400, bad
    after = snapshot_of(client, sid)
    assert (after["layers"], after["features"], after["data"]) == (
        before["layers"], before["features"], before["data"],
    )  # fmt: skip


def test_toggling_a_feature_adds_an_input_neuron_and_keeps_the_hidden_layers(client, tmp_path):
    sid = new_session(client)
    r = post_to(client, sid, "settings", {"features": ["sin x1", "x1", "x2"]})
    assert r["features"] == ["x1", "x2", "sin x1"]  # in TensorFlow Playground's order
    s = snapshot_of(client, sid)
    text = s["message"]["text"]
    assert text == (
        "Inputs x1, x2, sin x1: new weights, the network (6 x 4) kept; paused as before "
        "(press play to train)."
    )
    assert [l["units"] for l in s["layers"]] == [6, 4, 1] and s["epoch"] == 0
    assert s["inputs"]["names"] == ["x1", "x2", "sin x1"]
    model = model_of(client, sid, tmp_path)
    assert model.layers[0].W.shape == (3, 6)
    Xtr, _, ytr, _ = served_split(s)
    F = data.features(Xtr, ["x1", "x2", "sin x1"])
    np.testing.assert_allclose(F[:, 2], np.sin(Xtr[:, 0]))
    loss = lw.losses.get("bce")
    expected = loss.value(model.predict(F), model.prepare_targets(ytr, loss, len(F)))
    assert s["loss"]["train"] == pytest.approx(float(expected), abs=1e-12)


def test_a_clicked_point_joins_the_training_set_and_training_goes_on(client):
    sid = new_session(client)
    post_to(client, sid, "control", {"action": "step"})
    n = len(client.get(f"/api/session/{sid}/points").json()["train"]["y"])
    assert post_to(client, sid, "data", {"add_point": [0.1, -0.2, 1]}) == {"added": 1}
    pts = client.get(f"/api/session/{sid}/points").json()
    assert len(pts["train"]["y"]) == n + 1 and pts["train"]["X"][-1] == [0.1, -0.2]
    assert pts["train"]["y"][-1] == 1 and snapshot_of(client, sid)["epoch"] == 1
    for bad in ([0.1, 0.2, 5], [99, 0, 1], [0.1, 0.2], "x"):
        post_to(client, sid, "data", {"add_point": bad}, status=400)


CHANGES = [
    ("data", {"dataset": "spirals"}, "Data set spirals"),
    ("data", {"noise": 0.3}, "Noise 0.3"),
    ("data", {"test_ratio": 0.5}, "Test split 50%"),
    ("data", {"n_samples": 200}, "200 points"),
    ("data", {"regenerate": True}, "A new draw of the points"),
    ("settings", {"features": ["x1", "x2", "x1^2"]}, "Inputs x1, x2, x1^2"),
]


@pytest.mark.parametrize("path, body, what", CHANGES)
def test_a_change_of_data_or_inputs_goes_on_training(client, path, body, what):
    sid = new_session(client)
    post_to(client, sid, "control", {"action": "play"})
    wait_epoch(client, sid, 15)
    r = post_to(client, sid, path, body)
    s = snapshot_of(client, sid)
    assert s["mode"] == "training" and r.get("mode", "training") == "training"
    assert s["message"]["text"] == (
        f"{what}: new weights, the network (6 x 4) kept; training goes on from epoch 0."
    )
    assert s["history"]["epoch"][0] == 0  # a new history
    s = wait_epoch(client, sid, 10)  # ... that grows again without a press of play
    assert s["mode"] == "training" and [l["units"] for l in s["layers"]] == [6, 4, 1]
    post_to(client, sid, "control", {"action": "pause"})


@pytest.mark.parametrize("path, body, what", CHANGES)
def test_a_change_while_paused_stays_paused_and_says_so(client, path, body, what):
    sid = new_session(client)
    post_to(client, sid, "control", {"action": "step"})
    post_to(client, sid, path, body)
    s = snapshot_of(client, sid)
    assert (s["mode"], s["epoch"]) == ("paused", 0)
    assert s["message"]["text"] == (
        f"{what}: new weights, the network (6 x 4) kept; paused as before (press play to train)."
    )
    time.sleep(0.2)
    assert snapshot_of(client, sid)["epoch"] == 0


def test_a_change_during_a_comparison_ends_it_and_the_main_network_resumes(client):
    sid = new_session(client)
    post_to(client, sid, "control", {"action": "play"})
    post_to(client, sid, "compare", {"lr_a": 0.05, "lr_b": 0.1, "epochs": 5000})
    assert snapshot_of(client, sid)["mode"] == "comparing"
    post_to(client, sid, "data", {"dataset": "xor"})
    s = snapshot_of(client, sid)
    assert s["mode"] == "training" and s["compare"] is None
    assert "training goes on" in s["message"]["text"]
    wait_epoch(client, sid, 5)
    post_to(client, sid, "control", {"action": "pause"})


def test_a_refused_change_changes_nothing(client):
    sid = new_session(client)
    before = snapshot_of(client, sid)
    post_to(client, sid, "data", {"dataset": "spirals", "noise": 7}, status=400)
    after = snapshot_of(client, sid)
    assert after["data"] == before["data"] and after["mode"] == before["mode"]


def test_the_playground_turns_a_refused_size_into_a_message(monkeypatch):
    pytest.importorskip("starlette")
    from layerwise.playground._session import Session
    from layerwise.playground._validate import PlaygroundError

    s = Session("limited-0002")
    try:
        monkeypatch.setattr(_memory, "limits", lambda: [_memory.Limit("a tiny cgroup", 1000)])
        before = [layer.units for layer in s.model.layers]
        with pytest.raises(PlaygroundError, match="needs .* a tiny cgroup"):
            s.set_state({"units": [32, 32, 32]})
        assert [layer.units for layer in s.model.layers] == before  # nothing changed
    finally:
        s.close()
