"""Fixtures of tests/playground/: the app in Starlette's test client, with a fake clock for
the idle timeout (tests/playground/helpers.py has the calls the tests make through it)."""

from __future__ import annotations

import pytest

from tests.playground.helpers import AUTH, BASE, TOKEN, FakeClock


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def client(clock):
    TestClient = pytest.importorskip("starlette.testclient").TestClient
    from layerwise.playground import create_app

    app = create_app(max_sessions=3, idle_timeout=60.0, clock=clock, token=TOKEN)
    with TestClient(app, base_url=BASE, headers=AUTH) as c:
        yield c
