"""layerwise.playground._manager: sessions are isolated, capped in number, rejoined, and
freed when idle (by a fake clock), also by the background reaper.
"""

from __future__ import annotations

import time

import pytest

from tests.playground.helpers import (
    AUTH,
    BASE,
    TOKEN,
    open_session,
    post,
    snap,
    wait_for,
)

pytest.importorskip("starlette")

from starlette.testclient import TestClient  # noqa: E402

from layerwise.playground import create_app  # noqa: E402


# ---------------------------------------------------------------------------- sessions
def test_two_sessions_do_not_see_each_other(client):
    SID = open_session(client)["session"]
    OTHER = open_session(client)["session"]
    assert SID != OTHER
    post(client, "data", {"dataset": "moons"}, sid=SID)
    post(client, "network", {"action": "add_neuron", "layer": 0}, sid=SID)
    post(client, "settings", {"lr": 0.5}, sid=SID)
    post(client, "control", {"action": "play"}, sid=SID)
    wait_for(client, lambda s: s["epoch"] > 10, sid=SID)
    post(client, "control", {"action": "pause"}, sid=SID)
    b = snap(client, OTHER)
    assert b["data"]["dataset"] == "circles" and b["epoch"] == 0 and b["mode"] == "paused"
    assert [l["units"] for l in b["layers"]] == [6, 4, 1] and b["settings"]["lr"] == 0.03
    assert b["edits"] == [] and len(b["history"]["epoch"]) == 1


def test_idle_session_is_freed_and_others_live_on(client, clock):
    SID = open_session(client)["session"]
    OTHER = open_session(client)["session"]
    manager = client.app.state.manager
    clock.now += 45
    snap(client, OTHER)  # a request restarts OTHER's idle time
    clock.now += 45
    assert manager.reap() == [SID]
    r = client.get(f"/api/session/{SID}")
    assert r.status_code == 404 and "freed after being idle" in r.json()["error"]
    r = client.post("/api/session", json={"session": SID})  # a reloaded page cannot rejoin
    assert r.status_code == 404
    assert snap(client, OTHER)["session"] == OTHER
    new = open_session(client)  # the page opens a new one
    assert new["session"] not in (SID, OTHER) and new["epoch"] == 0


def test_idle_sessions_are_freed_by_the_background_reaper():
    app = create_app(idle_timeout=0.2, token=TOKEN)
    with TestClient(app, base_url=BASE, headers=AUTH) as client:
        open_session(client)
        end = time.monotonic() + 10
        while client.get(f"/api/session/{client.sid}").status_code == 200:
            assert time.monotonic() < end
            time.sleep(0.3)  # longer than the timeout: this poll does not keep it alive
        assert len(app.state.manager) == 0


def test_session_limit_rejoin_and_close(client):
    ids = [open_session(client)["session"] for _ in range(3)]
    assert len(set(ids)) == 3 and all(len(i) >= 20 for i in ids)  # chosen here, unguessable
    r = client.post("/api/session", json={})
    assert r.status_code == 503 and "limit" in r.json()["error"]
    post(client, "network", {"action": "add_neuron", "layer": 0}, sid=ids[1])
    # a reloaded page rejoins its session: same id, same network; not a new session
    r = client.post("/api/session", json={"session": ids[1]})
    assert r.status_code == 200 and r.json()["layers"][0]["units"] == 7
    # an id the page made up is never created
    r = client.post("/api/session", json={"session": "tab-madeup-by-page"})
    assert r.status_code == 404 and len(client.app.state.manager) == 3
    assert client.post(f"/api/session/{ids[0]}/close", json={}).json() == {"closed": True}
    open_session(client)
