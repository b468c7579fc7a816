"""layerwise.playground._views: a new session's snapshot matches the library's own model and
data.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.playground.helpers import (
    data_loss,
    download,
    open_session,
    session_data,
)

pytest.importorskip("starlette")


# ---------------------------------------------------------------------------- a session
def test_new_session_snapshot_matches_the_library(client, tmp_path):
    s = open_session(client)
    assert s["epoch"] == 0 and s["mode"] == "paused"
    assert [(l["units"], l["activation"]) for l in s["layers"]] == [
        (6, "tanh"), (4, "tanh"), (1, "sigmoid"),
    ]  # fmt: skip
    Xtr, Xte, ytr, yte = session_data(s)
    model = download(client, tmp_path)
    assert s["loss"]["train"] == pytest.approx(data_loss(model, Xtr, ytr, "bce"), abs=1e-12)
    assert s["loss"]["test"] == pytest.approx(data_loss(model, Xte, yte, "bce"), abs=1e-12)
    acc = float(np.mean((model.predict(Xte)[:, 0] > 0.5) == yte))
    assert s["accuracy"]["test"] == pytest.approx(acc)
    # pictures: one byte per grid cell, one map per neuron
    import base64

    b = s["boundary"]
    assert len(base64.b64decode(b["values"])) == b["grid"] ** 2
    for layer, maps in zip(s["layers"], s["neurons"]):
        assert len(base64.b64decode(maps["values"])) == layer["units"] * maps["grid"] ** 2
    assert [np.shape(w["W"]) for w in s["weights"]] == [(2, 6), (6, 4), (4, 1)]
    # the points are the library's data set
    pts = client.get(f"/api/session/{client.sid}/points").json()
    np.testing.assert_allclose(pts["train"]["X"], Xtr, atol=1e-5)
    assert pts["test"]["y"] == yte.tolist()
