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
SRC = Path(layerwise.__file__).parent
ROOT = SRC.parent.parent

# ------------------------------------------------------------------ a rule per folder
#: the rings of docs/architecture.md, each a set of folders ("" is the top level)
RINGS: dict[str, set[str]] = {
    "core": {"", "_internal", "surgery"},
    "training": {"training"},
    "datasets": {"datasets"},
    "saving": {"saving"},
    "plot": {"plot"},
    "export": {"export"},
    "estimators": {"estimators"},
    "tools": {"sweeps", "playground", "cli"},
}
#: what each ring may import (counting imports inside functions)
MAY_IMPORT: dict[str, set[str]] = {
    "core": {"core"},
    "training": {"core", "training"},
    "datasets": {"core", "training", "datasets"},
    "plot": {"core", "training", "plot"},
    "export": {"core", "training", "export"},
    # the estimators register their ONNX converters with skl2onnx
    "estimators": {"core", "training", "estimators", "export"},
    # model.scaler is a datasets.StandardScaler; a file of the first format names estimators
    "saving": {"core", "training", "saving", "datasets", "estimators"},
    "tools": set(RINGS),
}
#: the edges that point up: each inside a function, never at a module's top
UPWARD: dict[tuple[str, str], str] = {
    ("layerwise.model", "layerwise.training"): "Sequential.fit hands over to the loop",
    ("layerwise.optimizers", "layerwise.training.schedules"): "from_config: an attached schedule",
    ("layerwise.training.callbacks", "layerwise.saving"): "ModelCheckpoint saves the model",
    ("layerwise.training._mlflow", "layerwise.saving"): "MLflowLogger logs the model",
    ("layerwise.training._mlflow", "layerwise.saving._sklearn"): "MLflowLogger: an estimator",
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in SRC.rglob("*.py")}


def _ring(module: str) -> str:
    """The ring of a module: its folder's (a top-level module is the core's; ``__main__``
    runs the command line)."""
    parts = module.split(".")
    folder = parts[1] if len(parts) > 1 and (SRC / parts[1]).is_dir() else ""
    if module == "layerwise.__main__":
        folder = "cli"
    (ring,) = [r for r, folders in RINGS.items() if folder in folders]
    return ring


def test_every_folder_has_a_rule():
    folders = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders | {""} == set().union(*RINGS.values())
    assert set(MAY_IMPORT) == set(RINGS)


CORE = sorted(m.removeprefix("layerwise.") for m in MODULES if _ring(m) == "core")
TRAINING = sorted(m.removeprefix("layerwise.") for m in MODULES if _ring(m) == "training")


def test_import_pulls_in_no_heavy_dependency():
    # one fresh interpreter: `import layerwise.<m>` runs layerwise/__init__ first anyway
    targets = ", ".join(f"layerwise.{m}" for m in CORE + TRAINING if m != "layerwise")
    code = (
        f"import sys, layerwise, {targets}\n"
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
            if node.module.startswith("layerwise"):
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("module", [m for m in CORE if m != "layerwise"])
def test_core_imports_only_numpy_the_stdlib_and_the_core_at_module_level(module):
    for name in _module_level_imports(MODULES[f"layerwise.{module}"]):
        top = name.split(".")[0]
        if top == "layerwise":
            resolved = _resolve(name)
            assert resolved is None or _ring(resolved) == "core", f"{module} imports {name}"
        else:
            assert top in ("numpy", "array_api_compat") or top in sys.stdlib_module_names, (
                f"{module} imports {name}"
            )


# ------------------------------------------------------------------ imports inside functions
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
    assert "layerwise.playground._compare" in graph["layerwise.playground._session"]


def test_the_walk_sees_type_checking_imports_when_asked(monkeypatch):
    # a module of the playground that imports Session only for its annotations
    path = SRC / "playground" / "probe.py"
    code = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from layerwise.playground._session import Session\n"
    )
    original = Path.read_text
    monkeypatch.setattr(
        Path, "read_text", lambda self, *a, **k: code if self == path else original(self, *a, **k)
    )
    assert _all_imports(path) == set()
    assert _all_imports(path, type_checking=True) == {"layerwise.playground._session"}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_each_folder_imports_only_what_its_rule_allows(module):
    path = MODULES[module]
    top_level = {_resolve(n) for n in _module_level_imports(path)} - {None}
    for name in sorted(_all_imports(path)):
        if (module, name) in UPWARD:
            assert name not in top_level, f"{module} imports {name} at module level"
            continue
        assert _ring(name) in MAY_IMPORT[_ring(module)], (
            f"{module} ({_ring(module)}) imports {name} ({_ring(name)})"
        )


def test_the_upward_edges_exist():
    # a declared exception that no longer happens is removed from the list
    for module, name in UPWARD:
        assert name in _all_imports(MODULES[module]), (module, name)


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


# ------------------------------------------------------------ the tree in docs/architecture.md
def _drawn_tree() -> set[str]:
    """The paths drawn in the first code block of architecture.md's "Layers of the package":
    one entry a line (``name.py`` or ``folder/``), two spaces of indent a level."""
    text = (ROOT / "docs" / "architecture.md").read_text()
    block = text.split("## Layers of the package", 1)[1].split("```", 2)[1]
    drawn: set[str] = set()
    stack: list[str] = []
    for line in block.splitlines()[2:]:  # after the language tag and "src/layerwise/"
        if not line.strip() or line.strip().startswith("#"):
            continue
        depth = (len(line) - len(line.lstrip())) // 2 - 1
        entry = line.split()[0]
        if not (entry.endswith(".py") or entry.endswith("/")) or depth > len(stack):
            continue  # a description's second line
        del stack[depth:]
        drawn.add("/".join([*stack, entry.rstrip("/")]))
        if entry.endswith("/"):
            stack.append(entry.rstrip("/"))
    return drawn


def test_the_tree_in_architecture_md_matches_the_files():
    drawn = _drawn_tree()
    on_disk = {str(p.relative_to(SRC).with_suffix("")) + ".py" for p in SRC.rglob("*.py")}
    on_disk = {p.removesuffix(".py") + ".py" for p in on_disk}
    folders = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    top = {p for p in on_disk if "/" not in p}
    assert sorted(top - drawn) == [], "top-level modules missing from the tree"
    assert sorted(folders - drawn) == [], "folders missing from the tree"
    assert sorted(drawn - on_disk - folders) == [], "drawn but not on disk"
    for folder in folders:  # a folder drawn with its files is drawn with all of them
        inside = {p for p in on_disk if p.startswith(f"{folder}/")}
        if drawn & inside:
            assert sorted(inside - drawn) == [], f"{folder}/ is drawn without these"


def test_the_tree_parser_sees_a_missing_file(monkeypatch):
    drawn = _drawn_tree()
    assert {"model.py", "training", "training/_fit.py", "surgery/_widen.py", "cli"} <= drawn
    assert "training/_fit.py" in drawn and "_fit.py" not in drawn
