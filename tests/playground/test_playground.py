"""layerwise.playground (the package): ``layerwise playground``'s options and its
address on loopback, and an import that loads no web framework.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

pytest.importorskip("starlette")


def test_package_import_is_cheap():
    code = "import sys, layerwise.playground; print(sorted(m for m in sys.modules if m.split('.')[0] in ('starlette', 'uvicorn', 'anyio')))"  # noqa: E501
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------------------- command line
def test_cli_rejects_bad_options(capsys):
    import argparse

    from layerwise.playground import configure_parser, run_cli

    args = configure_parser(argparse.ArgumentParser()).parse_args(["--port", "70000"])
    assert run_cli(args) == 2
    assert "--port must be in 0..65535" in capsys.readouterr().err


def test_cli_serves_on_loopback_and_prints_the_address():
    import httpx

    proc = subprocess.Popen(
        [sys.executable, "-m", "layerwise.playground", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        line = proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/\?token=([\w-]{20,})", line)
        assert match, line + proc.stderr.read()
        bare = httpx.get(f"http://127.0.0.1:{match.group(1)}/", timeout=10)
        assert bare.status_code == 403 and "token" in bare.text  # the address alone is not enough
        with httpx.Client(timeout=10, follow_redirects=True) as browser:
            page = browser.get(match.group(0))
            assert page.status_code == 200 and "layerwise" in page.text
            assert str(page.url) == f"http://127.0.0.1:{match.group(1)}/"  # token out of sight
            assert browser.get(f"http://127.0.0.1:{match.group(1)}/api/options").status_code == 200
    finally:
        proc.terminate()
        proc.communicate(timeout=10)  # also closes the pipes
