"""A newcomer's first hour, as a fresh clone sees it: links that resolve, commands in the
docs that parse, examples that write only into runs/, the first sweep that runs as pasted,
and `make demo` installing what the docs' next commands need."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from layerwise import cli

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


# ------------------------------------------------------------------------------ links
def _links(path: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)  # code is not a link
    return LINK.findall(text)


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_link_points_to_a_file_inside_the_repo(doc):
    broken = []
    for target in _links(doc):
        if target.startswith("#"):
            continue
        if re.match(r"[a-z]+:", target):
            broken.append(f"{target} (outside the repo)")
            continue
        base = ROOT if target.startswith("/") else doc.parent  # "/path": the repository root
        resolved = (base / target.split("#")[0].lstrip("/")).resolve()
        if not resolved.is_relative_to(ROOT):
            broken.append(f"{target} (outside the repo)")
        elif not resolved.exists():
            broken.append(f"{target} (no such file)")
    assert not broken, f"{doc.relative_to(ROOT)}: {broken}"


def test_the_link_checker_finds_links_and_catches_a_broken_one(tmp_path):
    doc = tmp_path / "x.md"
    doc.write_text('[a](docs/cli.md) ![b](img/p.png "t")\n```\n[not](a-link)\n```\n')
    assert _links(doc) == ["docs/cli.md", "img/p.png"]
    assert len(_links(ROOT / "README.md")) >= 10


# ------------------------------------------------------------------------------ commands
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


def test_readme_says_how_to_reach_the_installed_command():
    readme = (ROOT / "README.md").read_text()
    assert ". .venv/bin/activate" in readme and ".venv/bin/layerwise" in readme


def test_install_hints_quote_the_extras():
    unquoted = []
    for path in [*(ROOT / "src").rglob("*.py"), *DOCS]:
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"pip install (-e )?(layerwise|\.)\[", line):
                unquoted.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not unquoted, "brackets unquoted (zsh expands them): " + "; ".join(unquoted)


# ------------------------------------------------------------------------------ a fresh clone
@pytest.fixture(scope="module")
def clone(tmp_path_factory):
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout")
    where = tmp_path_factory.mktemp("clone") / "layerwise"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(where)], check=True, timeout=120)
    # this checkout's versions of the files under test, over the committed ones
    for rel in ("examples", "docs/sweeps.md"):
        src, dst = ROOT / rel, where / rel
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            shutil.copy2(src, dst)
    subprocess.run(["git", "-C", str(where), "add", "-A"], check=True)
    subprocess.run(
        ["git", "-C", str(where), "-c", "user.name=t", "-c", "user.email=t@t", "commit",
         "-q", "--allow-empty", "-m", "working tree"], check=True,
    )  # fmt: skip
    return where


def _python(script: str | Path, *args: str, cwd: Path, src: Path, timeout: float = 300):
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(src)}
    return subprocess.run(
        [sys.executable, str(script), *args], cwd=cwd, env=env, capture_output=True,
        text=True, timeout=timeout,
    )  # fmt: skip


def _changed(clone: Path) -> list[str]:
    status = subprocess.run(
        ["git", "-C", str(clone), "status", "--porcelain", "--ignored", "--untracked-files=all"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return [line[3:] for line in status.splitlines() if "__pycache__" not in line]


@pytest.mark.slow
def test_examples_write_only_under_runs(clone):
    examples = sorted((clone / "examples").glob("*.py"))
    assert examples
    for example in examples:
        quick = ["--quick"] if "--quick" in example.read_text() else []  # seconds, not minutes
        result = _python(example, *quick, cwd=clone, src=clone / "src")
        assert result.returncode == 0, f"{example.name}: {result.stderr[-2000:]}"
        changed = _changed(clone)
        outside = [p for p in changed if not p.startswith("runs/")]
        assert not outside, f"{example.name} wrote outside runs/: {outside}"
        assert changed, f"{example.name} wrote nothing under runs/"


@pytest.mark.slow
def test_first_sweep_example_runs_as_a_script(clone, tmp_path):
    block = re.findall(r"```python\n(.*?)```", (clone / "docs" / "sweeps.md").read_text(), re.S)[0]
    assert "__main__" in block
    small = block.replace('"epochs": 60', '"epochs": 3').replace("seeds=3", "seeds=1")
    assert small != block, "the first example's sizes changed; update this test"
    script = tmp_path / "first_sweep.py"
    script.write_text(small)
    result = _python(script, cwd=tmp_path, src=clone / "src")
    assert result.returncode == 0, result.stderr[-3000:]
    found = re.fullmatch(r"\[([0-9, ]+)\] ([0-9.]+) ([0-9.]+) ± (\S+)\n", result.stdout)
    assert found, result.stdout
    assert found[1] in ("4", "16, 8") and float(found[2]) in (0.5, 0.05), result.stdout
    assert 0 < float(found[3]) < 1, result.stdout  # a validation bce of a learning network


def test_docs_speak_of_the_project_not_of_its_issue_tracker():
    found = []
    for doc in DOCS:
        for n, line in enumerate(doc.read_text().splitlines(), 1):
            if re.search(r"\bissues? ?#?\d+", line, re.I):
                found.append(f"{doc.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not found, found
