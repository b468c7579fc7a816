"""Every link of README.md and docs/*.md points to a file inside the repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


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
