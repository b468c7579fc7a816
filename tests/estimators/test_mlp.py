"""layerwise.estimators._mlp: MLPClassifier and MLPRegressor pass scikit-learn's estimator
checks at their defaults, work in its grid searches under its parameter names, and run the
migration script of docs/ecosystem.md. scikit-learn's own test_mlp.py runs on them in
tests/project/test_sklearn_suite.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings

import pytest

pytest.importorskip("sklearn")

from sklearn.datasets import load_iris  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

import layerwise as lw  # noqa: E402

CHECKED = [lw.MLPClassifier(), lw.MLPRegressor()]


def _check_name(check) -> str:
    return getattr(check, "func", check).__name__


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(CHECKED)
def test_sklearn_estimator_checks(estimator, check):
    if _check_name(check).startswith("check_array_api") and not os.environ.get("SCIPY_ARRAY_API"):
        # These checks raise SkipTest unless SCIPY_ARRAY_API=1 was set before SciPy was
        # imported, which this process cannot do any more: they all run in one fresh
        # interpreter, and each case here reads its own outcome.
        key = f"{' '.join(repr(estimator).split())} {_check_name(check)} " + repr(
            sorted(check.keywords.items())
        )
        outcome = _array_api_results().get(key)
        assert outcome is not None, f"not run: {key}"
        if outcome.startswith("SKIP "):  # a library or device this machine does not have
            pytest.skip(outcome)
        assert outcome == "OK", outcome
        return
    check(estimator)


_ARRAY_API_CACHE: dict = {}


def _array_api_results() -> dict[str, str]:
    """Run every array API check scikit-learn yields for the CHECKED estimators in one
    subprocess (with SCIPY_ARRAY_API=1); return "OK", "SKIP <why>" or the error, by case."""
    if not _ARRAY_API_CACHE:
        code = (
            "import json, traceback, warnings\n"
            "from unittest import SkipTest\n"
            "from sklearn.exceptions import ConvergenceWarning\n"
            "warnings.simplefilter('ignore', ConvergenceWarning)\n"
            "from layerwise import MLPClassifier, MLPRegressor\n"
            "from sklearn.utils.estimator_checks import _yield_array_api_checks\n"
            "out = {}\n"
            f"for est in [{', '.join(repr(e) for e in CHECKED)}]:\n"
            "    for check in _yield_array_api_checks(est):\n"
            "        key = (' '.join(repr(est).split()) + ' ' + check.func.__name__ + ' '\n"
            "               + repr(sorted(check.keywords.items())))\n"
            "        try:\n"
            "            check(type(est).__name__, est)\n"
            "            out[key] = 'OK'\n"
            "        except SkipTest as e:\n"
            "            out[key] = f'SKIP {e}'\n"
            "        except Exception:\n"
            "            out[key] = traceback.format_exc()\n"
            "print(json.dumps(out))\n"
        )
        env = dict(os.environ, SCIPY_ARRAY_API="1")
        proc = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        _ARRAY_API_CACHE.update(json.loads(proc.stdout.splitlines()[-1]))
    return _ARRAY_API_CACHE


def test_grid_search_with_sklearn_parameter_names():
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_iris(return_X_y=True)
    pipe = Pipeline([("scale", StandardScaler()), ("mlp", lw.MLPClassifier(random_state=0))])
    grid = {"mlp__max_iter": [300], "mlp__solver": ["lbfgs", "adam"],
            "mlp__learning_rate": ["constant"], "mlp__hidden_layer_sizes": [(8,)]}  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search = GridSearchCV(pipe, grid, cv=3).fit(X, y)
    assert search.best_score_ > 0.9


# ---------------------------------------------------------------------------------------
# The migration example of docs/ecosystem.md


@pytest.mark.slow
def test_docs_migration_example_is_a_sklearn_script_that_runs(capsys):
    import re
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "ecosystem.md").read_text("utf-8")
    block = next(
        b
        for b in re.findall(r"```python\n(.*?)```", doc, flags=re.S)
        if "# from sklearn.neural_network import MLPClassifier" in b
    )
    ours = "from layerwise import MLPClassifier\n"
    assert block.count(ours) == 1
    assert "lw." not in block and block.count("layerwise") == 1  # only the import changed
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        exec(compile(block, "docs/ecosystem.md", "exec"), {})
    lines = capsys.readouterr().out.splitlines()
    assert float(lines[0]) > 0.95  # 5-fold CV accuracy on wine
