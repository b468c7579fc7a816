"""layerwise (the package): every public name loads on first use, ``from layerwise import
*`` needs no optional extra, and the old module paths still import, with a
DeprecationWarning naming the new one.
"""

from __future__ import annotations

import subprocess
import sys

import pytest


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


def test_every_public_name_loads_on_first_use():
    code = (
        "import layerwise as lw\n"
        "names = [*lw.__all__, 'MLPClassifier', 'MLPRegressor', 'export']\n"
        "print([n for n in names if getattr(lw, n, None) is None])\n"
        "import layerwise.sweeps\n"
        "print(callable(lw.sweep), lw.fit is __import__('layerwise.training').training.fit)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["[]", "True True"]


# ------------------------------------------------------------------ old paths still import
OLD_PATHS = {
    "layerwise.io": "layerwise.saving",
    "layerwise.io_sklearn": "layerwise.saving._sklearn",
    "layerwise.callbacks": "layerwise.training.callbacks",
    "layerwise.schedules": "layerwise.training.schedules",
    "layerwise.metrics": "layerwise.training.metrics",
    "layerwise.sweep": "layerwise.sweeps",
    "layerwise.tasks": "layerwise.targets",
}


@pytest.mark.parametrize("old", sorted(OLD_PATHS))
def test_an_old_path_imports_with_a_deprecation_warning(old):
    # a fresh interpreter: the warning comes once, on the first import
    new = OLD_PATHS[old]
    code = (
        "import importlib, warnings\n"
        "warnings.simplefilter('error')\n"
        f"new = importlib.import_module({new!r})\n"
        "try:\n"
        f"    importlib.import_module({old!r})\n"
        "except DeprecationWarning as w:\n"
        "    print(w)\n"
        "warnings.simplefilter('ignore')\n"
        f"old = importlib.import_module({old!r})\n"
        "_names_ = new.__all__\n"
        "print(all(getattr(old, n) is getattr(new, n) for n in _names_), len(_names_) > 0)\n"
        f"exec('from {old} import *')\n"
        "print(all(n in globals() for n in _names_))\n"
        "import layerwise as lw\n"
        "print(callable(lw.sweep), lw.callbacks is lw.training.callbacks)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        f"{old} has moved: import {new} instead",
        "True True",
        "True",
        "True True",
    ]


def test_an_old_path_as_an_attribute_of_the_package():
    code = (
        "import warnings\n"
        "import layerwise as lw\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always')\n"
        "    print(lw.io.save is lw.saving.save, lw.tasks.TASKS is lw.targets.TASKS)\n"
        "print([str(w.message) for w in caught])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "True True",
        "['layerwise.io has moved: import layerwise.saving instead', "
        "'layerwise.tasks has moved: import layerwise.targets instead']",
    ]


def test_import_layerwise_needs_no_optional_dependency():
    code = (
        "import sys, layerwise\n"
        "heavy = ('sklearn', 'torch', 'onnx', 'onnxruntime', 'skops', 'skl2onnx', 'scipy')\n"
        "assert not [m for m in heavy if m in sys.modules]\n"
        "layerwise.export\n"
        "assert not [m for m in heavy if m in sys.modules]\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
