"""What the tests of scikit-learn objects in saved files share (saving/test_sklearn.py and
test_trust.py): iris, a small classifier, a quiet fit, the predictions compared, and an
importable transformer that is not trusted by construction. Imported after
``pytest.importorskip("sklearn")``."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning

import layerwise as lw

X, Y = load_iris(return_X_y=True)


def clf(**kw: Any) -> lw.MLPClassifier:
    return lw.MLPClassifier((5,), max_iter=15, random_state=0, **kw)


def fit(obj: Any, X_: Any = X, y: Any = Y) -> Any:
    """``obj.fit`` without the ConvergenceWarning of a short run."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return obj.fit(X_, y)


def same_predictions(a: Any, b: Any, X_: Any = X) -> None:
    for method in ("predict_proba", "predict"):
        if hasattr(a, method):
            np.testing.assert_array_equal(getattr(b, method)(X_), getattr(a, method)(X_))


class Doubler(TransformerMixin, BaseEstimator):
    """Importable, so savable; not trusted by construction, so lw.load needs trusted=."""

    def fit(self, X: Any, y: Any = None) -> Doubler:
        self.n_features_in_ = np.shape(X)[1]
        return self

    def transform(self, X: Any) -> np.ndarray:
        return 2 * np.asarray(X)
