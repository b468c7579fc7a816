"""The repository as a whole: install hints in the sources and docs, the docs' wording, and a
fresh clone where the examples write only into runs/ and the first sweep runs as pasted."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_install_hints_quote_the_extras():
    unquoted = []
    for path in [*(ROOT / "src").rglob("*.py"), *DOCS]:
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"pip install (-e )?(layerwise|\.)\[", line):
                unquoted.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not unquoted, "brackets unquoted (zsh expands them): " + "; ".join(unquoted)


def test_docs_speak_of_the_project_not_of_its_issue_tracker():
    found = []
    for doc in DOCS:
        for n, line in enumerate(doc.read_text().splitlines(), 1):
            if re.search(r"\bissues? ?#?\d+", line, re.I):
                found.append(f"{doc.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not found, found


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
