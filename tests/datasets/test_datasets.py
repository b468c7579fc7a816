"""layerwise.datasets' own functions (``load``: its arguments and sizes) and the package's
import rule. The generators, real sets, CSV, splits and scaling are tested beside their
modules: test_synthetic, test_real, test_csvfile, test_csvread, test_preprocessing,
test_registry."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from layerwise import datasets as ds

# -------------------------------------------------------------------------- load's arguments


@pytest.mark.parametrize(
    "kwargs, match",
    [({"n_samples": 0}, "n_samples must be an integer >= 1, got 0"),
     ({"n_samples": 10.0}, "n_samples"),
     ({"n_samples": True}, "n_samples"),
     ({"noise": -0.1}, "noise must be a finite number >= 0, got -0.1"),
     ({"noise": float("nan")}, "noise"),
     ({"noise": "0.1"}, "noise"),
     ({"n_classes": 3}, "n_classes does not apply to 'moons'"),
     ({"seed": -1}, "seed")],
)  # fmt: skip
def test_load_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ds.load("moons", **kwargs)


def test_load_n_classes_checks():
    with pytest.raises(ValueError, match="n_classes must be an integer >= 2"):
        ds.load("spirals", n_classes=1)
    with pytest.raises(ValueError, match=r"n_samples must be >= n_classes \(4\)"):
        ds.load("blobs", n_classes=4, n_samples=3)
    _, y = ds.load("spirals", n_classes=4, seed=0)
    assert set(y.tolist()) == {0, 1, 2, 3}


# ----------------------------------------------------------------- the package's import rule


def _imports_from_outside_the_package(path: Path) -> set[str]:
    """Top-level names of the module-level imports of ``path``, less those of
    layerwise.datasets' own modules (absolute, or relative to the package)."""
    top = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:  # sklearn: inside a function
        if isinstance(node, ast.Import):
            for alias in node.names:
                if not (alias.name + ".").startswith("layerwise.datasets."):
                    top.add(alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level == 1 or (
                node.level == 0 and (module + ".").startswith("layerwise.datasets.")
            ):
                continue
            top.add("." * node.level + module.split(".")[0])
    return top


def test_imports_only_numpy_and_stdlib():
    modules = sorted(Path(ds.__file__).parent.glob("*.py"))
    assert Path(ds.__file__).name == "__init__.py" and len(modules) > 1, modules
    allowed = {"__future__", "array", "collections", "contextlib", "csv", "dataclasses", "math",
               "numpy", "operator", "os", "typing", "layerwise"}  # fmt: skip
    # of layerwise itself only the boundary checks (which import only NumPy)
    for path in modules:
        text = path.read_text(encoding="utf-8")
        imported = set(re.findall(r"from (layerwise(?:\.\w+)+)", text))
        outside = {m for m in imported if m.split(".")[:2] != ["layerwise", "datasets"]}
        assert outside <= {"layerwise._internal.validation"}, (path, outside)
    for path in modules:
        top = _imports_from_outside_the_package(path)
        assert top <= allowed, (path.name, top - allowed)
    code = (
        "import sys, layerwise; before = set(sys.modules);"
        "import layerwise.datasets as d; d.load('moons');"
        "new = [m for m in set(sys.modules) - before if m.split('.')[0] == 'sklearn'];"
        "assert not new, new"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ----------------------------------------------------------------------- sizes beyond memory


def test_load_refuses_sizes_beyond_memory():
    from layerwise._internal.validation import available_memory

    with pytest.raises(ValueError, match=r"n_samples=1,000,000,000.*needs .* GiB.*than the"):
        ds.load("moons", n_samples=10**9)
    assert available_memory() > 0
