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
        "_validation"]  # fmt: skip
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
