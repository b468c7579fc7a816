"""The ``layerwise`` command, run in subprocesses on small data; its files checked."""

from __future__ import annotations

import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

import layerwise as lw
from layerwise import cli
from tests.cli.helpers import subparsers

pytest.importorskip("matplotlib")

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_help_on_every_subcommand(capsys):
    for name in ("demo", "train", "compare", "gradcheck", "predict", "info", "export"):
        assert cli.main([name, "--help"]) == 0
        out = capsys.readouterr().out
        assert out.startswith(f"usage: layerwise {name}"), out[:80]
    assert cli.main(["--help"]) == 0
    top = capsys.readouterr().out
    for name in ("demo", "train", "compare", "gradcheck", "predict", "info", "export"):
        assert name in top


def test_train_help_lists_the_basic_flags(capsys):
    cli.main(["train", "--help"])
    out = capsys.readouterr().out
    for flag in (
        "--target",
        "--hidden",
        "--activation",
        "--output-activation",
        "--loss",
        "--lr",
        "--epochs",
        "--batch-size",
        "--seed",
        "--dtype",
        "--test-size",
        "--out",
        "--quiet",
    ):
        assert flag in out


# ------------------------------------------------------------------------------ plugins
def test_plugin_protocol(monkeypatch, capsys):
    calls = []
    good = types.ModuleType("fake_plugin")
    good.__doc__ = "Do a fake thing.\n\nLonger text."
    good.configure_parser = lambda p: p.add_argument("--times", type=int, default=1)
    good.run_cli = lambda args: calls.append(args.times) or 0
    monkeypatch.setitem(sys.modules, "fake_plugin", good)
    broken = types.ModuleType("broken_plugin")
    monkeypatch.setitem(sys.modules, "broken_plugin", broken)  # no configure_parser: skipped
    monkeypatch.setattr(
        cli,
        "PLUGINS",
        {"fake": "fake_plugin", "absent": "no_such_module_xyz", "half": "broken_plugin"},
    )
    assert cli.main(["fake", "--times", "3"]) == 0
    assert calls == [3]
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "Do a fake thing." in out and "absent" not in out and "half" not in out


def test_plugin_with_a_missing_dependency_explains(monkeypatch, capsys):
    import importlib

    real = importlib.import_module

    def fake_import(name, *a, **k):
        if name == "needs_extra_plugin":
            raise ModuleNotFoundError("No module named 'starlette'", name="starlette")
        return real(name, *a, **k)

    monkeypatch.setattr(cli.importlib, "import_module", fake_import)
    monkeypatch.setattr(cli, "PLUGINS", {"web": "needs_extra_plugin"})
    assert cli.main(["web"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "starlette" in err[0]


def test_console_script_is_installed():
    script = Path(sys.executable).parent / "layerwise"
    if not script.exists():
        pytest.skip("the console script is installed by pip install -e .")
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == f"layerwise {lw.__version__}"


def test_every_option_of_every_subcommand_has_help():
    import argparse

    parser = cli.build_parser()
    subs = subparsers(parser)
    assert {"demo", "train", "compare", "sweep", "info"} <= set(subs)
    missing = []
    for name, sub in [("layerwise", parser), *subs.items()]:
        for action in sub._actions:
            if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
                continue
            if not action.help or action.help == argparse.SUPPRESS:
                missing.append(f"{name} {'/'.join(action.option_strings) or action.dest}")
    assert not missing, f"options without help text: {missing}"


def test_cli_plugin_example_in_docs_runs_as_written():
    text = (DOCS / "cli.md").read_text()
    block = next(b for b in re.findall(r"```python\n(.*?)```", text, flags=re.S)
                 if "configure_parser" in b)  # fmt: skip
    namespace: dict = {}
    exec(compile(block, "docs/cli.md", "exec"), namespace)
    parser = namespace["argparse"].ArgumentParser()
    namespace["configure_parser"](parser)
    assert namespace["run_cli"](parser.parse_args(["--workers", "3"])) == 0
