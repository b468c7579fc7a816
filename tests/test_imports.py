"""The direction of imports: importing layerwise (and its core) pulls in no heavy library."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import layerwise

HEAVY = ["matplotlib", "sklearn", "torch", "onnx", "onnxruntime", "dask", "distributed",
         "starlette", "uvicorn", "tqdm", "scipy", "pandas"]  # fmt: skip
CORE = ["activations", "initializers", "losses", "layers", "model", "optimizers", "_special",
        "_array_api", "_validation", "regularization", "surgery", "_units", "_widen", "_prune",
        "state", "schedules", "targets"]  # fmt: skip
TRAINING = ["training", "callbacks", "metrics", "gradcheck"]
# modules above the core and training (DESIGN.md's layout); the core never imports them
UPPER = {"training", "io", "plot", "estimators", "export", "datasets", "cli", "playground"}
SRC = Path(layerwise.__file__).parent


def test_import_pulls_in_no_heavy_dependency():
    # one fresh interpreter: `import layerwise.<m>` runs layerwise/__init__ first anyway
    targets = ", ".join(["layerwise", *(f"layerwise.{m}" for m in CORE + TRAINING)])
    code = (
        f"import sys, {targets}\n"
        f"heavy = {HEAVY!r}\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & set(heavy)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", f"import layerwise loaded {out.stdout.strip()}"


def _module_level_imports(path: Path) -> set[str]:
    names = set()
    for node in ast.parse(path.read_text()).body:  # top level only: lazy imports are fine
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            if node.module == "layerwise":
                names.update(f"layerwise.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("module", CORE)
def test_core_imports_only_numpy_the_stdlib_and_the_core(module):
    for name in _module_level_imports(SRC / f"{module}.py"):
        top = name.split(".")[0]
        if top == "layerwise":
            sub = name.split(".")[1] if "." in name else ""
            assert sub not in UPPER, f"{module}.py imports {name} at module level"
        else:
            assert top == "numpy" or top in sys.stdlib_module_names, f"{module}.py imports {name}"


def test_star_import_needs_no_optional_extra():
    # with scikit-learn, torch, onnx, dask and starlette unimportable, as without the extras
    blocked = ["sklearn", "torch", "onnx", "onnxruntime", "dask", "distributed", "starlette"]
    code = (
        "import sys\n"
        f"for name in {blocked!r}:\n"
        "    sys.modules[name] = None\n"
        "from layerwise import *\n"
        "import layerwise\n"
        "missing = [n for n in layerwise.__all__ if n not in globals()]\n"
        "print(missing)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


# ------------------------------------------------------------------ imports inside functions
def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in SRC.rglob("*.py")}


def _resolve(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _all_imports(path: Path, *, type_checking: bool = False) -> set[str]:
    """The layerwise modules ``path`` imports anywhere: at the top, inside functions and
    methods, and (with ``type_checking``) under ``if TYPE_CHECKING:``, which never runs but
    still ties the modules together for a reader and a type checker."""
    tree = ast.parse(path.read_text())
    skip = {
        id(n)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for child in node.body
        for n in ast.walk(child)
        if not type_checking
    }
    me = _module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found.update(_resolve(a.name) for a in node.names if a.name.startswith("layerwise"))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            if base.startswith("layerwise"):
                for a in node.names:
                    full = f"{base}.{a.name}"
                    found.add(_resolve(full) if full in MODULES else _resolve(base))
    return found - {None, me}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycle_counting_imports_inside_functions():
    graph = {m: _all_imports(p) & set(MODULES) for m, p in MODULES.items()}
    assert _cycles(graph) == []


def test_no_import_cycle_even_counting_type_checking_imports():
    # the playground had compare -> session -> views -> session, and compare <- session,
    # through `if TYPE_CHECKING:` imports of Session; they are gone
    graph = {m: _all_imports(p, type_checking=True) & set(MODULES) for m, p in MODULES.items()}
    assert _cycles(graph) == []
    assert any(m.startswith("layerwise.playground.") for m in graph)  # the walk covers it
    assert "layerwise.playground.compare" in graph["layerwise.playground.session"]


def test_the_walk_sees_type_checking_imports_when_asked(monkeypatch):
    # a module of the playground that imports Session only for its annotations
    path = SRC / "playground" / "probe.py"
    code = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from layerwise.playground.session import Session\n"
    )
    original = Path.read_text
    monkeypatch.setattr(
        Path, "read_text", lambda self, *a, **k: code if self == path else original(self, *a, **k)
    )
    assert _all_imports(path) == set()
    assert _all_imports(path, type_checking=True) == {"layerwise.playground.session"}


# the core's only upward edge: Sequential.fit / train_on_batch hand over to the training loop
_DELEGATION = {("layerwise.model", "layerwise.training")}


@pytest.mark.parametrize("module", CORE)
def test_core_imports_only_the_core_even_inside_functions(module):
    for name in _all_imports(SRC / f"{module}.py"):
        sub = name.split(".")[1] if "." in name else ""
        if (f"layerwise.{module}", name) in _DELEGATION:
            continue
        assert sub not in UPPER and sub not in ("callbacks", "cli", "sweep", "playground"), (
            f"{module}.py imports {name}"
        )


@pytest.mark.parametrize("module", ["activations", "layers", "model"])
def test_importing_a_core_module_loads_only_the_core(module):
    code = (
        f"import sys, layerwise.{module}\n"
        "print(sorted(m for m in sys.modules if m.startswith('layerwise')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = {m.removeprefix("layerwise.") for m in eval(out.stdout)} - {"layerwise"}
    assert loaded <= set(CORE), sorted(loaded - set(CORE))
    assert module in loaded


def test_every_public_name_loads_on_first_use():
    code = (
        "import layerwise as lw\n"
        "names = [*lw.__all__, 'MLPClassifier', 'MLPRegressor', 'export']\n"
        "print([n for n in names if getattr(lw, n, None) is None])\n"
        "import layerwise.sweep\n"  # the subpackage of the same name: lw.sweep stays the function
        "print(callable(lw.sweep), lw.fit is __import__('layerwise.training').training.fit)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["[]", "True True"]
