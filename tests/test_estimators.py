"""scikit-learn estimators: sklearn's own estimator checks, and scores against sklearn's MLPs."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytest.importorskip("sklearn")

from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

import layerwise as lw  # noqa: E402

# Small, fast instances: sklearn's checks fit them on a few hundred samples at most.
CHECKED = [
    lw.MLPClassifier((8,), epochs=50, learning_rate=0.01),
    lw.MLPRegressor((8,), epochs=50, learning_rate=0.01),
    lw.MLPClassifier((8,), epochs=50, learning_rate=0.01, dtype="float64"),
    lw.MLPRegressor((8,), epochs=50, learning_rate=0.01, dtype="float64"),
]

_FLOAT32_SUBSET_REASON = (
    "float32 only: predicting one row at a time goes through a different BLAS kernel (a "
    "matrix-vector product) than predicting 20 rows, and the results differ in the last bit "
    "(measured: 2.4e-7 on outputs near 2, i.e. 1 ulp), above the check's atol of 1e-7; the "
    "float64 instances pass this check"
)


def _expected_failures(estimator):
    if estimator.dtype == "float32":
        return {"check_methods_subset_invariance": _FLOAT32_SUBSET_REASON}
    return {}


def _check_name(check) -> str:
    return getattr(check, "func", check).__name__


@parametrize_with_checks(CHECKED, expected_failed_checks=_expected_failures)
def test_sklearn_estimator_checks(estimator, check):
    if _check_name(check) == "check_array_api_input" and not os.environ.get("SCIPY_ARRAY_API"):
        # This check raises SkipTest unless SCIPY_ARRAY_API=1 was set before SciPy was
        # imported, which this process cannot do any more: it runs in a fresh interpreter.
        errors = _array_api_results(tuple(check.keywords.items()))
        key = " ".join(repr(estimator).split())
        assert key in errors, errors  # the check ran for this estimator
        assert not errors[key], errors[key]
        return
    check(estimator)


_ARRAY_API_CACHE: dict = {}


def _array_api_results(keywords) -> dict[str, str]:
    """Run check_array_api_input on every CHECKED estimator in one subprocess (with
    SCIPY_ARRAY_API=1); return the error text per estimator repr ("" when it passed)."""
    if keywords not in _ARRAY_API_CACHE:
        code = (
            "import traceback\n"
            "from layerwise import MLPClassifier, MLPRegressor\n"
            "from sklearn.utils.estimator_checks import check_array_api_input\n"
            f"for est in [{', '.join(repr(e) for e in CHECKED)}]:\n"
            "    try:\n"
            f"        check_array_api_input(type(est).__name__, est, **{dict(keywords)!r})\n"
            "        print(' '.join(repr(est).split()), '\\tOK')\n"
            "    except Exception:\n"
            "        print(' '.join(repr(est).split()), '\\t', repr(traceback.format_exc()))\n"
        )
        env = dict(os.environ, SCIPY_ARRAY_API="1")
        proc = subprocess.run(
            [sys.executable, "-W", "error", "-c", code], env=env, capture_output=True, text=True
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        results = {}
        for line in proc.stdout.splitlines():
            name, _, outcome = line.partition("\t")
            results[name.strip()] = "" if outcome.strip() == "OK" else outcome
        _ARRAY_API_CACHE[keywords] = results
    return _ARRAY_API_CACHE[keywords]
