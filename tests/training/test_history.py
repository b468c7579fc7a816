"""layerwise.training._history: History records every epoch and round-trips through its
CSV (repr: exact floats) and its dict.
"""

from __future__ import annotations

import csv

import numpy as np
import pytest

import layerwise as lw


def _blobs(n=80, seed=0):
    """Two overlapping Gaussian classes in 2-D (a stand-in for the seed's data)."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    X = rng.normal(size=(n, 2)) + np.where(y[:, None] == 1, 1.0, -1.0)
    return X, y


def test_history_records_every_epoch_and_round_trips_through_csv(tmp_path):
    X, y = _blobs(60)
    model = lw.mlp(2, [4], 1, output_activation="sigmoid", seed=0)
    history = model.fit(X[:40], y[:40], loss="bce", lr=0.1, epochs=12,
                        validation_data=(X[40:], y[40:]), verbose=False)  # fmt: skip
    assert history.epoch == list(range(1, 13))
    assert len(history.loss) == len(history.val_loss) == 12
    assert len(history.metrics["accuracy"]) == len(history.metrics["val_accuracy"]) == 12
    # val_loss is the model's loss on the validation set after the epoch
    assert history.val_loss[-1] == pytest.approx(model.evaluate(X[40:], y[40:], "bce"), rel=1e-6)
    path = tmp_path / "history.csv"
    text = history.to_csv(path)
    assert path.read_text() == text
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 12
    assert {"epoch", "loss", "val_loss", "accuracy", "val_accuracy"} <= set(rows[0])
    assert [int(r["epoch"]) for r in rows] == history.epoch
    assert [float(r["loss"]) for r in rows] == history.loss  # repr: exact round trip
    assert [float(r["val_accuracy"]) for r in rows] == history.metrics["val_accuracy"]


def test_columns_csv_and_dict_of_a_history_written_by_hand(tmp_path):
    h = lw.History(epoch=[1, 2], loss=[0.5, 0.25], metrics={"accuracy": [0.5, 1.0]},
                   lr=[0.1, 0.05], events=[{"epoch": 1, "change": "widen"}])  # fmt: skip
    assert list(h.columns()) == ["epoch", "loss", "accuracy", "lr"]  # no val_loss: no column
    assert len(h) == 2
    text = "epoch,loss,accuracy,lr\n1,0.5,0.5,0.1\n2,0.25,1.0,0.05\n"
    assert h.to_csv(tmp_path / "h.csv") == text
    assert (tmp_path / "h.csv").read_text() == text
    third = 0.1 + 0.2  # repr keeps every digit: 0.30000000000000004
    assert lw.History(epoch=[1], loss=[third]).to_csv().splitlines()[1] == f"1,{third!r}"
    back = lw.History.from_dict(h.to_dict())
    assert back == h and back.events is not None
    assert lw.History.from_dict({"loss": [1.0], "unknown": 3}) == lw.History(loss=[1.0])
