"""Helpers shared by the test modules of tests/playground/: the calls a page makes, through
the ``client`` fixture of conftest.py, and the library's own numbers to check them against."""

from __future__ import annotations

import time

import layerwise as lw

TOKEN = "test-token-0123456789"
BASE = "http://127.0.0.1:8765"
AUTH = {"Authorization": f"token {TOKEN}"}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def open_session(client):
    """A new session; its server-chosen id becomes the client's default ``client.sid``."""
    r = client.post("/api/session", json={})
    assert r.status_code == 200, r.text
    client.sid = r.json()["session"]
    return r.json()


def download(client, tmp_path, sid=None, name="model.npz"):
    r = client.get(f"/api/session/{sid or client.sid}/model")
    assert r.status_code == 200, r.text
    assert "attachment" in r.headers["content-disposition"]
    path = tmp_path / name
    path.write_bytes(r.content)
    return lw.load(path)


def session_data(s):
    """The session's data, regenerated independently from its settings."""
    d = s["data"]
    X, y = lw.datasets.load(
        d["dataset"], n_samples=d["n_samples"], noise=d["noise"], seed=d["seed"]
    )
    return lw.datasets.train_test_split(X, y, test_size=d["test_ratio"], seed=d["seed"])


def data_loss(model, X, y, loss):
    loss = lw.losses.get(loss)
    return float(loss.value(model.predict(X), model.prepare_targets(y, loss, len(X))))


def snap(client, sid=None):
    r = client.get(f"/api/session/{sid or client.sid}")
    assert r.status_code == 200, r.text
    return r.json()


def post(client, path, body, sid=None, status=200):
    r = client.post(f"/api/session/{sid or client.sid}/{path}", json=body)
    assert r.status_code == status, r.text
    return r.json()


def wait_for(client, predicate, sid=None, timeout=20.0):
    """Poll snapshots until ``predicate(snapshot)`` holds (a bound on waiting, not a timing
    assertion: the background thread trains hundreds of epochs per second)."""
    end = time.monotonic() + timeout
    while True:
        s = snap(client, sid)
        if predicate(s):
            return s
        assert time.monotonic() < end, f"condition not reached; last snapshot epoch {s['epoch']}"
        time.sleep(0.02)


JSON = {"Content-Type": "application/json"}


def new_session(client) -> str:
    r = client.post("/api/session", json={})
    assert r.status_code == 200, r.text
    return r.json()["session"]


def post_to(client, sid, path, body, status=200):
    r = client.post(f"/api/session/{sid}/{path}", json=body)
    assert r.status_code == status, r.text
    return r.json()


def snapshot_of(client, sid):
    return client.get(f"/api/session/{sid}").json()


def model_of(client, sid, tmp_path, name="m.npz"):
    path = tmp_path / name
    path.write_bytes(client.get(f"/api/session/{sid}/model").content)
    return lw.load(path)


def served_split(s):
    """The split of a snapshot's data, the playground's own sets included."""
    from layerwise.playground import data

    d = s["data"]
    X, y = data.load(d["dataset"], n_samples=d["n_samples"], noise=d["noise"], seed=d["seed"])
    return lw.datasets.train_test_split(X, y, test_size=d["test_ratio"], seed=d["seed"])


# ------------------------------------------------------------------ it keeps going (issue 25)
def wait_epoch(client, sid, at_least: int) -> dict:
    end = time.monotonic() + 60  # a bound on waiting, not a timing assertion
    while (s := snapshot_of(client, sid))["epoch"] < at_least:
        assert time.monotonic() < end, s["epoch"]
        time.sleep(0.02)
    return s
