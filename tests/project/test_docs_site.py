"""The documentation site: it builds in strict mode, with every public name in its reference.

The build runs here without executing the notebooks (``LAYERWISE_DOCS_EXECUTE=false``:
tests/project/test_notebooks.py executes them); ``make docs`` executes them.
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

import layerwise as lw

ROOT = Path(__file__).resolve().parents[2]
pytest.importorskip("mkdocs", reason="needs the docs extra")
pytest.importorskip("mkdocstrings_handlers.python", reason="needs the docs extra")
pytest.importorskip("mkdocs_jupyter", reason="needs the docs extra")


def _nav_pages() -> list[str]:
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    nav = text[text.index("\nnav:") :]
    return re.findall(r"^\s+-\s+(?:[^:\n]+:\s+)?(\S+\.(?:md|ipynb))\s*$", nav, flags=re.M)


def test_every_guide_and_tutorial_is_in_the_navigation():
    pages = set(_nav_pages())
    docs = ROOT / "docs"
    for path in [*docs.glob("*.md"), *docs.glob("tutorials/*.ipynb"), *docs.glob("reference/*.md")]:
        assert path.relative_to(docs).as_posix() in pages, f"{path.name} is not in mkdocs.yml nav"


def _public_objects() -> dict[str, object]:
    """Each public name (and each name of a public module's __all__) -> its object."""
    wanted = {}
    for name in [*lw.__all__, "MLPClassifier", "MLPRegressor", "export"]:
        wanted[name] = obj = getattr(lw, name)
        if isinstance(obj, types.ModuleType):
            for member in getattr(obj, "__all__", []):
                wanted[f"{name}.{member}"] = getattr(obj, member)
    return wanted


def _resolve(path: str) -> object | None:
    """The object a reference anchor such as ``layerwise.model.Sequential`` names."""
    parts = path.split(".")
    for k in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:k]))
        except ImportError:
            continue
        for attr in parts[k:]:
            obj = getattr(obj, attr, None)  # None: an instance attribute, say
        return obj
    return None


@pytest.mark.slow
def test_site_builds_strictly_with_every_public_name(tmp_path: Path):
    site = tmp_path / "site"
    env = {**os.environ, "LAYERWISE_DOCS_EXECUTE": "false", "NO_MKDOCS_2_WARNING": "1"}
    run = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    log = run.stdout + run.stderr
    assert run.returncode == 0, log[-3000:]
    assert "WARNING" not in log, log[-3000:]
    assert not (ROOT / ".cache").exists(), "the build left a cache in the working tree"

    reference = "".join(p.read_text(encoding="utf-8") for p in (site / "reference").glob("*.html"))
    anchors = set(re.findall(r'id="(layerwise\.[\w.]+)"', reference))
    documented = {id(_resolve(a)) for a in anchors if not a.split(".")[-1].startswith("_")}
    missing = [name for name, obj in _public_objects().items() if id(obj) not in documented]
    assert not missing, f"not in the API reference: {missing}"
    # the docstrings are rendered as numpydoc: a Parameters section became a table
    model = (site / "reference" / "model.html").read_text(encoding="utf-8")
    assert "doc-section-title" in model and "<code>units</code>" in model
    assert not re.search(r":(class|func|meth|attr|mod):`", reference)  # roles shown as code

    for nb in sorted((ROOT / "docs" / "tutorials").glob("*.ipynb")):
        page = (site / "tutorials" / f"{nb.stem}.html").read_text(encoding="utf-8")
        assert "import layerwise as lw" in page, nb.name  # the notebook's code is on its page

    # links from the guides to repository files point at copies inside the site
    assert (site / "repo" / "examples" / "grow_demo.py").read_bytes() == (
        ROOT / "examples" / "grow_demo.py"
    ).read_bytes()
    assert 'href="repo/examples/grow_demo.py"' in (site / "on-the-fly.html").read_text("utf-8")
    # links written from the repository root (/docs/core.md) become links between pages
    model_page = (site / "reference" / "model.html").read_text("utf-8")
    assert 'href="../core.html"' in model_page and 'href="/docs/' not in model_page
    assert 'href="repo/src/layerwise/state.py"' in (site / "architecture.html").read_text("utf-8")
