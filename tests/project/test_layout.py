"""tests/ mirrors src/layerwise/: one test module per module, named after it.

The rule (tests/README.md says it for people):

* ``src/layerwise/<name>.py``            -> ``tests/test_<name>.py``
* ``src/layerwise/<pkg>/<name>.py``      -> ``tests/<pkg>/test_<name>.py``
* ``src/layerwise/<pkg>/_<name>.py``     -> ``tests/<pkg>/test_<name>.py`` (a private module's
  leading underscore is dropped; ``_internal`` keeps its own as a folder name)
* ``src/layerwise/<pkg>/__init__.py``    -> ``tests/<pkg>/test_<pkg>.py``, and the package
  ``layerwise`` itself -> ``tests/test_layerwise.py``

Every module has its test module, except ``__main__.py`` files (they dispatch to a main
function tested elsewhere) and ``__init__.py`` files that only import and re-export (no
function or class of their own besides a lazy ``__getattr__``/``__dir__``). Every test module
has its module, except the tests of the repository as a whole in tests/project/ and the
short list ``NOT_A_MODULE`` below. Files that are not ``test_*.py`` (``conftest.py``,
``helpers.py``, ``__init__.py``) hold fixtures and helpers and map to nothing.
"""

from __future__ import annotations

import ast
from pathlib import Path

import layerwise

SRC = Path(layerwise.__file__).parent
TESTS = Path(__file__).resolve().parents[1]
REPOSITORY_WIDE = "project"  # tests of the repository as a whole, not of one module

# test modules that have no module of their name, each with its reason
NOT_A_MODULE = {
    "playground/test_page.py": "the page itself (playground/static/: HTML and JavaScript), "
    "driven end to end in a headless browser",
}

# an __init__.py whose only functions are these only re-exports, lazily
LAZY_EXPORTS = {"__getattr__", "__dir__"}


def _test_name(module: Path) -> str:
    """The test module of ``module`` (a path relative to src/layerwise), by the rule."""
    parts = module.parts
    if module.name == "__init__.py":
        package = parts[-2] if len(parts) > 1 else "layerwise"
        return "/".join([*parts[:-1], f"test_{package}.py"])
    stem = module.stem.removeprefix("_")
    return "/".join([*parts[:-1], f"test_{stem}.py"])


def _needs_tests(path: Path) -> bool:
    if path.name == "__main__.py":
        return False
    if path.name != "__init__.py":
        return True
    tree = ast.parse(path.read_text(encoding="utf-8"))
    defined = {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    }
    return bool(defined - LAZY_EXPORTS)


def _modules() -> dict[str, Path]:
    """Test module name -> module, for every module of the package."""
    out: dict[str, Path] = {}
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC)
        name = _test_name(rel)
        assert name not in out, f"{rel} and {out[name]} would share {name}: rename one"
        out[name] = rel
    return out


def _test_modules() -> set[str]:
    return {
        str(p.relative_to(TESTS))
        for p in TESTS.rglob("test_*.py")
        if p.relative_to(TESTS).parts[0] != REPOSITORY_WIDE
    }


def test_every_module_has_its_test_module():
    modules = _modules()
    missing = sorted(
        f"src/layerwise/{rel} -> tests/{name}"
        for name, rel in modules.items()
        if _needs_tests(SRC / rel) and name not in _test_modules()
    )
    assert not missing, "modules without their test module:\n" + "\n".join(missing)


def test_every_test_module_has_its_module():
    modules = _modules()
    orphans = sorted(name for name in _test_modules() - set(modules) if name not in NOT_A_MODULE)
    assert not orphans, (
        "test modules named after no module (rename them after the module they test, or "
        "move them to tests/project/ if they test the repository as a whole):\n"
        + "\n".join(orphans)
    )
    stale = sorted(set(NOT_A_MODULE) - _test_modules())
    assert not stale, f"NOT_A_MODULE lists files that do not exist: {stale}"


def test_the_rule_maps_each_kind_of_file():
    assert _test_name(Path("model.py")) == "test_model.py"
    assert _test_name(Path("__init__.py")) == "test_layerwise.py"
    assert _test_name(Path("training/_fit.py")) == "training/test_fit.py"
    assert _test_name(Path("training/callbacks.py")) == "training/test_callbacks.py"
    assert _test_name(Path("cli/__init__.py")) == "cli/test_cli.py"
    assert _test_name(Path("_internal/validation.py")) == "_internal/test_validation.py"
    assert not _needs_tests(SRC / "__main__.py")
    assert not _needs_tests(SRC / "surgery" / "__init__.py")  # re-exports only
    assert not _needs_tests(SRC / "training" / "__init__.py")  # a lazy __getattr__ only
    assert _needs_tests(SRC / "cli" / "__init__.py")  # main, build_parser
