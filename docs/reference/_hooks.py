"""MkDocs hooks for the site (mkdocs.yml: ``hooks:``).

Links from the guides to repository files outside docs/ (such as
``../examples/grow_demo.py``, so that they work on GitHub and in a checkout): on the site
those files are copied under ``repo/`` and the links rewritten to the copies. A link to a
file that is not in the repository stays as it is, and MkDocs's strict build fails on it.

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
_LINK = re.compile(r"\]\((\.\./[^)#\s]+)(#[^)\s]*)?\)")
_ipython_dir: tempfile.TemporaryDirectory | None = None
_NOT_A_NAME = re.compile(r"Could not find cross-reference target '.*['\", ].*'")


def _outside(page_src: str, target: str) -> str | None:
    """The repository path a link from docs/<page_src> points to, if it leaves docs/."""
    path = posixpath.normpath(posixpath.join("docs", posixpath.dirname(page_src), target))
    if path.startswith("docs/") or path.startswith("..") or not (ROOT / path).is_file():
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
        wanted |= {p for m in _LINK.finditer(text) if (p := _outside(page.src_uri, m.group(1)))}
    for path in sorted(wanted):  # a Markdown file becomes a page, any other is copied
        files.append(File.generated(config, f"repo/{path}", abs_src_path=str(ROOT / path)))
    return files


def on_page_markdown(markdown, page, config, files):
    def rewrite(match: re.Match) -> str:
        path = _outside(page.file.src_uri, match.group(1))
        if path is None:
            return match.group(0)
        up = "../" * page.file.src_uri.count("/")
        return f"]({up}repo/{path}{match.group(2) or ''})"

    return _LINK.sub(rewrite, markdown)
