"""Every ``layerwise ...`` command line of docs/*.md and README.md runs as written.

The lines are taken from the fenced code blocks of each page (``$ layerwise ...`` in a
console block, ``layerwise ...`` at the start of a line elsewhere, a trailing ``\\``
continuing it), in the page's order, in a fresh folder holding a copy of ``examples/`` as
a fresh clone has it; a line may use what an earlier line of the same page wrote. A line
whose next line in the block shows ``layerwise <command>: error:`` must fail with exit
status 2 and that message; every other line must succeed. ``layerwise playground`` starts
a server: it must print its address, then it is stopped.

The commands of docs/cli.md also parse with the CLI's own parser, and ``make demo`` installs
the extras they need.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from layerwise import cli

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]
FENCE = re.compile(r"^```(\w*)\s*$")


def commands(page: Path) -> list[tuple[int, str, str | None]]:
    """``(line number, command, expected error or None)`` of each command line of ``page``."""
    found: list[tuple[int, str, str | None]] = []
    lang, lines = None, page.read_text().splitlines()
    k = 0
    while k < len(lines):
        line = lines[k]
        fence = FENCE.match(line.strip())
        if fence:
            lang = None if lang is not None else fence.group(1)
            k += 1
            continue
        text = line.strip()
        start = k + 1
        if lang is not None and lang == "console":
            text = text[2:] if text.startswith("$ ") else ""
        if lang is not None and text.startswith("layerwise "):
            while text.endswith("\\"):
                k += 1
                text = text[:-1].rstrip() + " " + lines[k].strip()
            following = lines[k + 1].strip() if k + 1 < len(lines) else ""
            word = text.split()[1]
            expected = following if following.startswith(f"layerwise {word}: error:") else None
            found.append((start, text, expected))
        k += 1
    return found


def test_the_extraction_finds_the_commands_of_the_cli_page():
    found = commands(ROOT / "docs" / "cli.md")
    texts = [c for _, c, _ in found]
    assert "layerwise demo" in texts[0]
    assert any(c.startswith("layerwise predict runs/csvrun/model.npz") for c in texts)
    assert len(found) >= 20
    sweep = [c for _, c, _ in commands(ROOT / "docs" / "sweeps.md")]
    assert sweep[0].endswith("--seeds 3 --epochs 200 --out runs/sweep")  # joined at the \\
    files = commands(ROOT / "docs" / "files.md")
    assert [e for _, _, e in files if e] != []  # the shown error is expected


def _run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "layerwise.cli", *argv], cwd=cwd, capture_output=True,
        text=True, timeout=600,
    )  # fmt: skip


def _playground(argv: list[str], cwd: Path) -> None:
    pytest.importorskip("uvicorn")
    proc = subprocess.Popen(
        [sys.executable, "-m", "layerwise.cli", *argv, "--port", "0"], cwd=cwd,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        line = proc.stdout.readline()
        assert "http://127.0.0.1:" in line, line
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        proc.stdout.close()


@pytest.mark.slow
@pytest.mark.parametrize("page", [p for p in PAGES if commands(p)], ids=lambda p: p.name)
def test_every_command_of_the_page_runs_as_written(page, tmp_path):
    found = commands(page)
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    for number, text, expected in found:
        argv = shlex.split(text, comments=True)[1:]
        if argv[0] == "playground":
            _playground(argv, tmp_path)
            continue
        out = _run(argv, tmp_path)
        where = f"{page.name}:{number}: {text}\n{out.stdout[-2000:]}{out.stderr[-2000:]}"
        if expected is None:
            assert out.returncode == 0, where
        else:
            assert out.returncode == 2 and out.stderr.strip() == expected, where


def test_the_pages_with_commands_are_found():
    # the parametrisation above skips no page: it takes those with commands, and these have
    with_commands = {p.name for p in PAGES if commands(p)}
    assert {"cli.md", "sweeps.md", "files.md"} <= with_commands, with_commands


# --- the commands of docs/cli.md parse, and `make demo` installs what they need -------
def _cli_md_commands() -> list[list[str]]:
    commands = []
    for block in re.findall(r"```console\n(.*?)```", (ROOT / "docs" / "cli.md").read_text(), re.S):
        for line in block.splitlines():
            if line.startswith("$ layerwise "):
                line = re.sub(r"\s#.*$", "", line[2:])  # a comment
                line = re.sub(r"\[(--[^]]*)\]", r"\1", line)  # an optional part
                commands.append(shlex.split(line)[1:])
    return commands


def test_every_command_in_cli_md_parses(tmp_path, monkeypatch, capsys):
    commands = _cli_md_commands()
    assert len(commands) >= 15
    monkeypatch.chdir(tmp_path)
    for argv in commands:  # the files they read exist by then in a real session
        for i, arg in enumerate(argv):
            if arg.endswith((".npz", ".csv")) and argv[i - 1] != "--out":
                Path(arg).parent.mkdir(parents=True, exist_ok=True)
                Path(arg).touch()
    parser = cli.build_parser()
    for argv in commands:
        try:
            args = parser.parse_args(argv)
        except SystemExit:
            pytest.fail(f"docs/cli.md: `layerwise {shlex.join(argv)}` does not parse: "
                        f"{capsys.readouterr().err}")  # fmt: skip
        assert args.func is not None


def test_make_demo_installs_what_the_cli_examples_need():
    makefile = (ROOT / "Makefile").read_text()
    run_install = re.search(r"^\$\(STAMP_RUN\):.*\n\t(.*)$", makefile, re.M).group(1)
    extras = set(re.search(r"-e '?\.\[([a-z,]+)\]", run_install).group(1).split(","))
    text = " ".join(" ".join(c) for c in _cli_md_commands())
    needs = {
        "sklearn": re.search(r"\b(iris|digits|wine|breast_cancer|diabetes)\b", text),
        "sweep": "sweep " in text,
        "playground": "playground" in text or "make playground" in makefile,
    }
    assert {extra for extra, needed in needs.items() if needed} <= extras, run_install
    assert re.search(r"^playground:", makefile, re.M) and "PORT ?= 8765" in makefile
