"""layerwise.playground._edits: the page's network edits are the library's on-the-fly
operations (widen, deepen, prune, remove, set a weight), checked on a downloaded copy.
"""

from __future__ import annotations

import numpy as np
import pytest

import layerwise as lw
from tests.playground.helpers import (
    data_loss,
    download,
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


# ---------------------------------------------------------------------------- edits
def test_add_neuron_keeps_the_loss_and_breaks_the_symmetry(client, tmp_path):
    s = open_session(client)
    Xtr, _, ytr, _ = session_data(s)
    post(client, "settings", {"optimizer": "adam", "lr": 0.01})
    for _ in range(5):
        post(client, "control", {"action": "step"})
    before = download(client, tmp_path, name="before.npz")
    e = post(client, "network", {"action": "add_neuron", "layer": 0})["edit"]
    assert e["preserving"] and e["epoch"] == 5
    assert abs(e["loss_after"] - e["loss_before"]) < 1e-12
    assert e["loss_before"] == pytest.approx(data_loss(before, Xtr, ytr, "bce"), abs=1e-12)
    after = download(client, tmp_path, name="after.npz")
    assert after.layers[0].units == 7
    np.testing.assert_allclose(after.predict(Xtr), before.predict(Xtr), atol=1e-12)
    # the copy: same incoming weights as its source, different outgoing share
    W0, W1 = after.layers[0].W, after.layers[1].W
    src = [k for k in range(6) if np.array_equal(W0[:, k], W0[:, 6])]
    assert len(src) == 1
    assert not np.allclose(W1[src[0]], W1[6])
    np.testing.assert_allclose(W1[src[0]] + W1[6], before.layers[1].W[src[0]], atol=1e-12)
    for _ in range(3):
        post(client, "control", {"action": "step"})
    trained = download(client, tmp_path, name="trained.npz")
    assert not np.allclose(trained.layers[0].W[:, src[0]], trained.layers[0].W[:, 6])
    s = snap(client)
    assert s["loss"]["train"] < e["loss_after"]
    assert s["edits"][0]["change"] == "widen layer 0: 6 -> 7 neurons"


@pytest.mark.parametrize(("activation", "expected"), [("tanh", "identity"), ("relu", "relu")])
def test_add_layer_keeps_the_loss(client, tmp_path, activation, expected):
    s = open_session(client)
    Xtr, _, ytr, _ = session_data(s)
    post(client, "network", {"action": "activation", "layer": 1, "activation": activation})
    post(client, "control", {"action": "step"})
    before = download(client, tmp_path, name="before.npz")
    e = post(client, "network", {"action": "add_layer"})["edit"]
    assert e["preserving"] and abs(e["loss_after"] - e["loss_before"]) < 1e-12
    after = download(client, tmp_path, name="after.npz")
    assert [(l.units, l.activation.name) for l in after.layers][2] == (4, expected)
    np.testing.assert_allclose(after.predict(Xtr), before.predict(Xtr), atol=1e-12)


def test_remove_and_regrow_every_layer_down_to_none(client, tmp_path):
    s = open_session(client)
    Xtr, _, ytr, _ = session_data(s)
    e = post(client, "network", {"action": "remove_neuron", "layer": 0})["edit"]
    assert not e["preserving"] and snap(client)["layers"][0]["units"] == 5
    model = download(client, tmp_path, name="a.npz")
    assert e["loss_after"] == pytest.approx(data_loss(model, Xtr, ytr, "bce"), abs=1e-12)
    post(client, "network", {"action": "remove_layer"})
    post(client, "network", {"action": "remove_layer"})
    s = snap(client)
    assert [l["units"] for l in s["layers"]] == [1]
    # no hidden layer: a layer in front, the identity on the inputs
    e = post(client, "network", {"action": "add_layer"})["edit"]
    assert e["preserving"] and abs(e["loss_after"] - e["loss_before"]) < 1e-12
    assert [l["units"] for l in snap(client)["layers"]] == [2, 1]
    post(client, "network", {"action": "activation", "layer": 0, "activation": "relu"})
    assert snap(client)["layers"][0]["activation"] == "relu"


def test_editing_a_weight_changes_the_network_and_the_boundary(client, tmp_path):
    sid = new_session(client)
    before = snapshot_of(client, sid)
    e = post_to(client, sid, "network", {"action": "set_weight", "layer": 2, "from": 1, "to": 0,
                                      "value": 4.5})["edit"]  # fmt: skip
    assert "4.5" in e["change"] and not e["preserving"]
    post_to(client, sid, "network", {"action": "set_weight", "layer": 0, "from": -1, "to": 2,
                                  "value": -1.25})  # fmt: skip
    model = model_of(client, sid, tmp_path)
    assert model.layers[2].W[1, 0] == 4.5 and model.layers[0].b[2] == -1.25
    after = snapshot_of(client, sid)
    assert after["boundary"]["values"] != before["boundary"]["values"]
    Xtr, _, ytr, _ = served_split(after)
    loss = lw.losses.get("bce")
    expected = loss.value(model.predict(Xtr), model.prepare_targets(ytr, loss, len(Xtr)))
    assert after["loss"]["train"] == pytest.approx(float(expected), abs=1e-12)
    for bad in ({"layer": 0, "from": 2, "to": 0, "value": 1}, {"layer": 0, "from": 0, "to": 6,
                "value": 1}, {"layer": 0, "from": 0, "to": 0, "value": 1e9}):  # fmt: skip
        post_to(client, sid, "network", {"action": "set_weight", **bad}, status=400)


def test_remove_neuron_is_the_librarys_prune_on_the_training_inputs(client, tmp_path):
    sid = new_session(client)
    for _ in range(3):
        post_to(client, sid, "control", {"action": "step"})
    before = model_of(client, sid, tmp_path, "before.npz")
    e = post_to(client, sid, "network", {"action": "remove_neuron", "layer": 0})["edit"]
    Xtr, _, _, _ = served_split(snapshot_of(client, sid))
    try:
        before.prune(0, 5, data=Xtr)
        assert e["change"].startswith("prune layer 0: 6 -> 5")
    except NotImplementedError:  # prune not landed yet: today's resize
        before.resize(0, 5)
        assert e["change"].startswith("resize layer 0: 6 -> 5")
    after = model_of(client, sid, tmp_path, "after.npz")
    for p, q in zip(after.layers, before.layers):
        np.testing.assert_allclose(p.W, q.W, atol=1e-12)
