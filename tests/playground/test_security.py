"""The playground lets in only the person who started it, from its own page.

Each test is an attack that used to work (issue 13): a "simple" cross-site POST, a foreign
``Host`` (DNS rebinding), no token, a huge or deeply nested body, many streams. The oracle
is the server's observable state: the number of sessions, and what the bytes read were.
"""

from __future__ import annotations

import argparse
import json

import anyio
import pytest

pytest.importorskip("starlette")
from starlette.testclient import TestClient  # noqa: E402

import layerwise.playground as pg  # noqa: E402
from layerwise.playground import _server as server
from layerwise.playground import create_app  # noqa: E402
from layerwise.playground._security import cookie_name, is_loopback  # noqa: E402

TOKEN = "test-token-0123456789"
BASE = "http://127.0.0.1:8765"
AUTH = {"Authorization": f"token {TOKEN}"}
JSON = {"Content-Type": "application/json"}
COOKIE = cookie_name("127.0.0.1:8765")


@pytest.fixture
def app():
    return create_app(max_sessions=5, token=TOKEN)


@pytest.fixture
def client(app):
    with TestClient(app, base_url=BASE, headers=AUTH, follow_redirects=False) as c:
        yield c


def sessions(app) -> int:
    return len(app.state.manager)


def test_a_cross_site_simple_request_is_refused(app, client):
    # what a page on another site can send without a preflight: text/plain, its own Origin
    evil = {"Origin": "http://evil.example", "Content-Type": "text/plain"}
    r = client.post("/api/session", content=b"{}", headers=evil)
    assert r.status_code == 403 and "cross-origin" in r.json()["error"]
    r = client.post("/api/session", content=b"{}", headers={"Content-Type": "text/plain"})
    assert r.status_code == 415 and "application/json" in r.json()["error"]
    r = client.post("/api/session", json={}, headers={"Origin": "http://evil.example"})
    assert r.status_code == 403
    r = client.post("/api/session", json={}, headers={"Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 403
    r = client.post("/api/session", json={}, headers={"Origin": "http://localhost:9999"})
    assert r.status_code == 403  # another port is another origin
    assert sessions(app) == 0
    # the page's own requests pass
    r = client.post("/api/session", json={}, headers={"Origin": BASE})
    assert r.status_code == 200 and sessions(app) == 1


def test_a_foreign_host_is_refused_unless_allowed(app, client):
    sid = client.post("/api/session", json={}).json()["session"]
    for host in ("evil.example", "evil.example:8765", "127.0.0.1.evil.example"):
        r = client.get(f"/api/session/{sid}/model", headers={"Host": host})
        assert r.status_code == 403 and "--allow-host" in r.json()["error"], host
        r = client.get("/", headers={"Host": host})
        assert r.status_code == 403
    for host in ("localhost:8765", "127.0.0.1", "[::1]:8765"):
        assert client.get("/api/options", headers={"Host": host}).status_code == 200, host
    named = create_app(token=TOKEN, allow_hosts=["lab.example"])
    with TestClient(named, base_url="http://lab.example:8765", headers=AUTH) as c:
        assert c.get("/api/options").status_code == 200
    everywhere = create_app(token=TOKEN, host="0.0.0.0")
    with TestClient(everywhere, base_url="http://192.168.1.20:8765", headers=AUTH) as c:
        assert c.get("/api/options").status_code == 200  # an address, not a name
        assert c.get("/api/options", headers={"Host": "evil.example"}).status_code == 403


def test_the_token_is_required_and_becomes_a_strict_cookie(app):
    with TestClient(app, base_url=BASE, follow_redirects=False) as c:
        r = c.get("/api/options")
        assert r.status_code == 403 and "token" in r.json()["error"]
        r = c.get("/")
        assert r.status_code == 403 and "needs its token" in r.text  # a page asking for it
        assert c.get("/?token=wrong-token-0000").status_code == 403
        r = c.post("/api/session", json={})
        assert r.status_code == 403 and sessions(app) == 0
        r = c.get(f"/?token={TOKEN}&theme=dark")
        assert r.status_code == 303 and r.headers["location"] == "/?theme=dark"
        cookie = r.headers["set-cookie"]
        assert f"{COOKIE}={TOKEN}" in cookie and "HttpOnly" in cookie
        assert "SameSite=Strict" in cookie
        # the cookie alone lets the page in from now on
        c.cookies.clear()
        c.cookies.set(COOKIE, TOKEN)
        assert c.get("/").status_code == 200
        assert c.post("/api/session", json={}).status_code == 200
        c.cookies.clear()
        c.cookies.set(COOKIE, "forged-token-00000")
        assert c.get("/api/options").status_code == 403
        # another playground's cookie (another port) is not this one's
        c.cookies.clear()
        c.cookies.set(cookie_name("127.0.0.1:9000"), TOKEN)
        assert c.get("/api/options").status_code == 403


def test_listening_beyond_loopback_warns_loudly(monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(pg, "serve", lambda **kw: calls.append(kw))
    parser = pg.configure_parser(argparse.ArgumentParser())
    assert pg.run_cli(parser.parse_args(["--host", "0.0.0.0", "--allow-host", "lab"])) == 0
    err = capsys.readouterr().err
    assert "WARNING" in err and "0.0.0.0" in err
    assert calls[0]["host"] == "0.0.0.0" and calls[0]["allow_hosts"] == ["lab"]
    assert pg.run_cli(parser.parse_args([])) == 0
    assert "WARNING" not in capsys.readouterr().err
    assert is_loopback("127.0.0.5") and is_loopback("::1") and not is_loopback("0.0.0.0")


async def _call(app, method, path, headers, chunks, read=None):
    """One request straight through the ASGI interface; returns (status, body)."""
    events, sent = iter(chunks), []

    async def receive():
        if read is not None:
            read.append(1)
        chunk = next(events, None)
        if chunk is None:
            await anyio.sleep_forever()
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8765),
    }
    with anyio.move_on_after(10):
        await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], body


HEADERS = {"host": "127.0.0.1:8765", **AUTH, **JSON}


def test_a_huge_body_is_refused_after_reading_no_more_than_the_limit(app, client):
    sid = client.post("/api/session", json={}).json()["session"]
    read: list[int] = []
    chunks = (b"x" * 1024 for _ in range(200_000))  # 200 MB, sent without a Content-Length
    path = f"/api/session/{sid}/control"
    status, body = anyio.run(_call, app, "POST", path, HEADERS, chunks, read)
    assert status == 413 and "too large" in json.loads(body)["error"]
    assert len(read) <= server.MAX_BODY // 1024 + 2  # stopped at the limit, not at 200 MB
    # a declared length over the limit is refused before reading any of it
    read.clear()
    declared = {**HEADERS, "content-length": str(200 * 2**20)}
    status, _ = anyio.run(_call, app, "POST", f"/api/session/{sid}/control", declared, [], read)
    assert status == 413 and read == []


def test_a_deeply_nested_body_is_a_400_not_a_500(client):
    sid = client.post("/api/session", json={}).json()["session"]
    deep = "[" * 8000 + "]" * 8000
    r = client.post(f"/api/session/{sid}/control", content=deep.encode(), headers=JSON)
    assert r.status_code == 400 and "nested too deeply" in r.json()["error"]
    r = client.post(f"/api/session/{sid}/control", json={"action": "step"})
    assert r.status_code == 200  # the session lives on


def test_streams_per_session_are_capped(app, client):
    sid = client.post("/api/session", json={}).json()["session"]
    path = f"/api/session/{sid}/stream"
    statuses: list[int] = []

    async def main():
        async with anyio.create_task_group() as tg:
            for _ in range(server.MAX_STREAMS):  # streams that stay open
                tg.start_soon(_call, app, "GET", path, HEADERS, [b""])
            await anyio.sleep(0.5)  # a bound for the streams to open, not a timing assertion
            statuses.append((await _call(app, "GET", path, HEADERS, [b""]))[0])
            tg.cancel_scope.cancel()

    anyio.run(main)
    assert statuses == [429]
    # the slots are given back when those streams end
    r = client.get(f"{path}?max_events=1")
    assert r.status_code == 200 and r.text.startswith("data: ")
