"""MkDocs hooks for the site (mkdocs.yml: ``hooks:``).

Links to repository files are written from the repository root, GitHub's convention
(``/examples/grow_demo.py``, ``/docs/core.md``), so that they work on GitHub, in an editor's
preview of the checkout, and here, and never read as leaving the repository. On the site a
link into docs/ becomes a link to that page, and a file outside docs/ is copied under
``repo/`` and the link rewritten to the copy. A link to a file that is not in the repository
stays as it is, and MkDocs's strict build fails on it.

Doctest output in module docstrings (``['Dense', 'Dropout']``) reads to mkdocs-autorefs
like a Markdown reference ``[...]``; those unresolved "references", and only those (their
target holds a quote, a comma or a space: no Python name does), are not counted as warnings.
"""

from __future__ import annotations

import logging
import os
import posixpath
import re
import tempfile
from pathlib import Path

from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[2]
_LINK = re.compile(r"\]\((/[^/)#\s][^)#\s]*)(#[^)\s]*)?\)")  # ](/path#anchor), not ](//host)
_ipython_dir: tempfile.TemporaryDirectory | None = None
_NOT_A_NAME = re.compile(r"Could not find cross-reference target '.*['\", ].*'")


def _repo_file(target: str) -> str | None:
    """The repository path of a root-relative link ``/path``, if that file exists."""
    path = posixpath.normpath(target.lstrip("/"))
    if path.startswith("..") or not (ROOT / path).is_file():
        return None
    return path


class _DoctestOutput(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not _NOT_A_NAME.search(record.getMessage())


def on_config(config):
    logging.getLogger("mkdocs.plugins.mkdocs_autorefs._internal.plugin").addFilter(_DoctestOutput())
    # the kernels that execute the tutorials get an IPython profile of their own: the
    # reader's startup files stay out of the site, and ipykernel's notice about its local
    # TCP transport stays out of the build's output
    global _ipython_dir
    _ipython_dir = tempfile.TemporaryDirectory(prefix="layerwise-docs-ipython-")
    profile = Path(_ipython_dir.name) / "profile_default"
    profile.mkdir()
    (profile / "ipython_kernel_config.py").write_text("c.IPKernelApp.log_level = 'ERROR'\n")
    os.environ["IPYTHONDIR"] = _ipython_dir.name
    return config


def on_shutdown():
    if _ipython_dir is not None:
        _ipython_dir.cleanup()


def on_files(files, config):
    docs = Path(config["docs_dir"])
    wanted = set()
    for page in files.documentation_pages():
        text = (docs / page.src_uri).read_text(encoding="utf-8")
        found = {_repo_file(m.group(1)) for m in _LINK.finditer(text)}
        wanted |= {p for p in found if p is not None and not p.startswith("docs/")}
    for path in sorted(wanted):  # a Markdown file becomes a page, any other is copied
        files.append(File.generated(config, f"repo/{path}", abs_src_path=str(ROOT / path)))
    return files


def on_page_markdown(markdown, page, config, files):
    def rewrite(match: re.Match) -> str:
        path = _repo_file(match.group(1))
        if path is None:
            return match.group(0)
        here = posixpath.dirname(page.file.src_uri) or "."
        if path.startswith("docs/"):  # a page of the site: relative to this one
            path = posixpath.relpath(path.removeprefix("docs/"), here)
        else:  # a copy under repo/
            path = posixpath.relpath(f"repo/{path}", here)
        return f"]({path}{match.group(2) or ''})"

    return _LINK.sub(rewrite, markdown)
