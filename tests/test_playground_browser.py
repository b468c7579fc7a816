"""The playground end to end in a real headless Chromium (Debian's ``chromium`` package,
driven by Playwright's Python package), against a real uvicorn server.

Enable: ``apt-get install chromium`` (CI's ``.ci/run`` does it). Screenshots of each state
are written to ``test-artifacts/playground/``.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import layerwise as lw

CHROMIUM = "/usr/bin/chromium"
if not os.path.exists(CHROMIUM):
    pytest.skip(
        f"browser tests need Debian's chromium at {CHROMIUM}: install it with "
        "`apt-get install chromium` (CI's .ci/run does)",
        allow_module_level=True,
    )
pytest.importorskip("playwright.sync_api", reason="pip install 'layerwise[dev]' for Playwright")
pytest.importorskip("uvicorn", reason="pip install 'layerwise[playground]'")
import uvicorn  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from layerwise.playground import create_app  # noqa: E402

pytestmark = pytest.mark.browser

ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "playground"
WAIT_MS = 20_000  # bound on waiting for the page, not a timing assertion


@pytest.fixture(scope="module")
def server():
    app = create_app()
    srv = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=0, log_level="warning", timeout_graceful_shutdown=1
        )  # fmt: skip
    )
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    end = time.monotonic() + 20
    while not srv.started:
        assert thread.is_alive() and time.monotonic() < end, "uvicorn did not start"
        time.sleep(0.02)
    port = srv.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}/?token={app.state.token}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    # a refused value is a 400 the page shows as a message: the browser logs it, not a fault
    expected = "the server responded with a status of 400"
    pg.on(
        "console",
        lambda m: errors.append(m.text) if m.type == "error" and expected not in m.text else None,
    )
    pg.goto(server)
    pg.wait_for_function("window.playground.snap !== null && window.playground.points !== null")
    yield pg
    context.close()
    assert errors == [], errors


def snapshot(page) -> dict:
    return page.evaluate("window.playground.snap")


def wait(page, condition: str) -> dict:
    page.wait_for_function(f"(s => {condition})(window.playground.snap)", timeout=WAIT_MS)
    return snapshot(page)


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def test_grow_while_training_keeps_the_loss_and_it_keeps_falling(page):
    shot(page, "1-loaded.png")
    # full-batch gradient descent: the loss falls smoothly, so "keeps falling" is not luck
    for field, value in (("#batch-size", "1000"), ("#lr", "0.5")):
        page.fill(field, value)
        page.press(field, "Enter")
    wait(page, "s.settings.batch_size === 1000 && s.settings.lr === 0.5")
    page.click("#play")
    wait(page, "s.mode === 'training' && s.epoch >= 60")
    shot(page, "2-training.png")
    page.click(".layer-controls[data-layer='0'] .add-neuron")
    s = wait(page, "s.edits.length === 1")
    edit = s["edits"][0]
    assert edit["action"] == "add_neuron" and s["mode"] == "training"
    assert abs(edit["loss_after"] - edit["loss_before"]) < 1e-6
    s = wait(page, f"s.epoch >= {edit['epoch'] + 40}")
    assert s["loss"]["train"] < edit["loss_after"]
    assert page.inner_text(".layer-controls[data-layer='0'] .units") == "7"
    shot(page, "3-neuron-added.png")

    page.click("#add-layer")
    s = wait(page, "s.edits.length === 2")
    edit = s["edits"][1]
    assert edit["action"] == "add_layer" and [l["units"] for l in s["layers"]] == [7, 4, 4, 1]
    assert abs(edit["loss_after"] - edit["loss_before"]) < 1e-6
    s = wait(page, f"s.epoch >= {edit['epoch'] + 40}")
    assert s["loss"]["train"] < edit["loss_after"]
    shot(page, "4-layer-added.png")
    page.click("#play")
    assert wait(page, "s.mode === 'paused'")["mode"] == "paused"


def test_a_bad_value_shows_the_servers_message(page):
    page.fill("#lr", "fast")
    page.press("#lr", "Enter")
    page.wait_for_selector("#message:not([hidden])", timeout=WAIT_MS)
    text = page.inner_text("#message")
    assert "lr must be a number in (0, 10]" in text and "fast" in text
    shot(page, "5-bad-value.png")
    page.wait_for_function("document.getElementById('lr').value === '0.1'", timeout=WAIT_MS)
    page.click("#step")  # the session lives on
    assert wait(page, "s.epoch === 1")["settings"]["lr"] == 0.1


def test_compare_learning_rates(page):
    page.fill("#lr-a", "0.02")
    page.fill("#lr-b", "0.5")
    page.fill("#compare-epochs", "150")
    page.click("#compare-start")
    s = wait(page, "s.compare && !s.compare.running && s.compare.runs[1].epoch.length === 151")
    a, b = s["compare"]["runs"]
    assert (a["lr"], b["lr"]) == (0.02, 0.5)
    assert a["train"][0] == b["train"][0]  # the same initial weights
    assert b["train"][-1] < a["train"][-1] < a["train"][0]
    page.check("#log-scale")
    shot(page, "6-compare.png")


def test_download_the_model_and_load_it(page, tmp_path):
    page.select_option("#dataset", "moons")
    wait(page, "s.data.dataset === 'moons'")
    for _ in range(3):
        page.click("#step")
    s = wait(page, "s.epoch === 3")
    with page.expect_download(timeout=WAIT_MS) as info:
        page.click("#download-model")
    download = info.value
    assert download.suggested_filename == "playground-model.npz"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    model = lw.load(path)
    assert [(l.units, l.activation.name) for l in model.layers] == [
        (l["units"], l["activation"]) for l in s["layers"]
    ]
    d = s["data"]
    X, y = lw.datasets.load("moons", n_samples=d["n_samples"], noise=d["noise"], seed=d["seed"])
    Xtr, _, ytr, _ = lw.datasets.train_test_split(X, y, test_size=d["test_ratio"], seed=d["seed"])
    bce = lw.losses.get("bce")
    loss = bce.value(model.predict(Xtr), model.prepare_targets(ytr, bce, len(Xtr)))
    assert abs(loss - s["loss"]["train"]) < 1e-9
    page.click("#show-snippet")
    page.wait_for_selector("#snippet-box:not([hidden])", timeout=WAIT_MS)
    assert "lw.Dense(6, 'tanh')" in page.inner_text("#snippet")
    assert np.isfinite(loss)
    shot(page, "7-export.png")
