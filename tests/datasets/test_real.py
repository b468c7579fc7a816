"""layerwise.datasets._real: the small real sets bundled with scikit-learn, their known
shapes, and the ImportError naming the extra without it.
"""

from __future__ import annotations

import re
import sys

import numpy as np
import pytest

from layerwise import datasets as ds

REAL = {
    # name: (n_samples, n_features, n_classes or None)
    "iris": (150, 4, 3),
    "digits": (1797, 64, 10),
    "wine": (178, 13, 3),
    "breast_cancer": (569, 30, 2),
    "diabetes": (442, 10, None),
}


@pytest.mark.parametrize("name", list(REAL))
def test_real_sets_known_shapes(name):
    pytest.importorskip("sklearn")
    n, d, k = REAL[name]
    X, y = ds.load(name)
    assert X.shape == (n, d) and X.dtype == np.float64 and y.shape == (n,)
    if k is None:
        assert y.dtype == np.float64 and ds.task(name) == "regression"
    else:
        assert y.dtype == np.int64
        np.testing.assert_array_equal(np.unique(y), np.arange(k))
    assert (ds.info(name).n_samples, ds.info(name).n_features) == (n, d)


def test_real_sets_reject_synthetic_options():
    with pytest.raises(ValueError, match="n_samples does not apply to the real data set 'iris'"):
        ds.load("iris", n_samples=10)
    with pytest.raises(ValueError, match="noise does not apply"):
        ds.load("wine", noise=0.1)
    with pytest.raises(ValueError, match="n_classes does not apply"):
        ds.load("digits", n_classes=3)


def test_missing_sklearn_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)  # makes `import sklearn` fail
    with pytest.raises(ImportError, match=re.escape("pip install 'layerwise[sklearn]'")):
        ds.load("iris")
