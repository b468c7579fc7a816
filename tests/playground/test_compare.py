"""layerwise.playground._compare: the live learning-rate comparison replays ``fit``, can be
stopped, and its verdicts on hand-made loss curves.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

import layerwise as lw
from tests.playground.helpers import (
    data_loss,
    new_session,
    open_session,
    post,
    post_to,
    session_data,
    snap,
    snapshot_of,
    wait_for,
)

pytest.importorskip("starlette")

from layerwise.playground import _compare as compare  # noqa: E402


# ----------------------------------------------------------------------------------- compare
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


def test_the_verdicts_on_hand_made_curves():
    falling = list(np.linspace(1.0, 0.5, 30))
    zigzag = [1.0 + 0.15 * (k % 2) for k in range(30)]  # rises of 15%: no spike
    flat = [1.0] * 30
    assert compare.judge(falling, None) == "improving"
    assert compare.judge(zigzag, None) == "oscillating"
    # the curve: better overall, but a spike above 2 on the way is not "improving"
    spiky = list(np.linspace(1.0, 0.2, 30))
    spiky[12] = 2.1
    assert compare.spikes(spiky) == 1 and compare.judge(spiky, None) == "unstable"
    assert compare.judge([1.0 + 0.3 * (k % 2) for k in range(30)], None) == "unstable"
    # a rise of 20% exactly is no spike, nor is a large relative rise at a negligible loss
    assert compare.spikes([1.0, 1.2, 1.0]) == 0 and compare.spikes([1.0, 1.21, 1.0]) == 1
    assert compare.spikes([1.0, 1e-4, 5e-4, 1e-4]) == 0
    assert compare.judge(flat, None) == "not improving"
    assert compare.judge(falling[:5], None) is None  # too early to say
    assert compare.judge(falling, 12) == "diverged"


def test_compare_from_the_current_weights_flags_instability_and_resumes(client):
    sid = new_session(client)
    post_to(client, sid, "settings", {"lr": 0.3})
    for _ in range(3):
        post_to(client, sid, "control", {"action": "step"})
    s = snapshot_of(client, sid)
    post_to(client, sid, "compare", {"lr_a": 0.05, "lr_b": 5.0, "epochs": 40, "from": "current"})
    end = time.monotonic() + 60  # a bound on waiting, not a timing assertion
    while (c := snapshot_of(client, sid)["compare"])["running"]:
        assert time.monotonic() < end
        time.sleep(0.05)
    a, b = c["runs"]
    assert c["from"] == "current" and a["train"][0] == b["train"][0] == s["loss"]["train"]
    assert a["verdict"] == "improving" and b["verdict"] == "unstable"
    assert compare.spikes(a["train"]) == 0 and compare.spikes(b["train"]) > 0
    after = snapshot_of(client, sid)
    assert after["epoch"] == 3 and after["history"] == s["history"]  # left alone
    assert "lr 5: unstable" in after["message"]["text"]
    # the main network resumes as it was: training, if it was training
    post_to(client, sid, "control", {"action": "play"})
    post_to(client, sid, "compare", {"lr_a": 0.05, "lr_b": 0.1, "epochs": 5000})
    assert snapshot_of(client, sid)["mode"] == "comparing"
    assert post_to(client, sid, "compare", {"action": "stop"})["mode"] == "training"
    post_to(client, sid, "control", {"action": "pause"})
