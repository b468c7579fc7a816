"""datasets.infer_task against scikit-learn's type_of_target, and the class limit."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.utils.multiclass import type_of_target

from layerwise import datasets as ds

SKLEARN_NAME = {
    "binary": "binary",
    "multiclass": "multiclass",
    "multilabel-indicator": "multilabel",
    "continuous": "regression",
    "continuous-multioutput": "regression",
}

CASES = [
    [0, 1, 1, 0],
    [1, 2, 3, 1, 2, 3],
    ["a", "b", "a"],
    ["cat", "dog", "fish"],
    [0.5, 1.5, 2.0],
    [1.0, 2.0, 1.0],
    [True, False, True],
    np.array([[0, 1], [1, 1], [1, 0]]),
    np.array([[0.5, 1.0], [2.0, 3.0]]),
    np.arange(10) % 7,
]


@pytest.mark.parametrize("y", CASES, ids=range(len(CASES)))
def test_agrees_with_type_of_target(y):
    assert ds.infer_task(y) == SKLEARN_NAME[type_of_target(y)]


def test_integers_with_many_values_are_a_regression():
    rng = np.random.default_rng(0)
    price = rng.integers(100, 5000, size=3000)  # type_of_target says multiclass
    assert type_of_target(price) == "multiclass"
    assert ds.infer_task(price) == "regression"
    assert ds.infer_task(price.astype(np.float64)) == "regression"
    digits = rng.integers(0, 10, size=1797)
    assert ds.infer_task(digits) == "multiclass"
    # 100 classes over 60,000 rows (CIFAR-100 sized) stay a classification
    assert ds.infer_task(rng.integers(0, 100, size=60_000)) == "multiclass"


def test_pandas_nullable_integers_without_missing_values():
    pd = pytest.importorskip("pandas")
    assert ds.infer_task(pd.Series([0, 1, 2, 1], dtype="Int64")) == "multiclass"
    assert ds.infer_task(pd.Series([True, False], dtype="boolean")) == "binary"
    with pytest.raises(ValueError, match="missing values"):
        ds.infer_task(pd.Series([0, None, 1], dtype="Int64"))


@pytest.mark.parametrize(
    "y, error, match",
    [([], ValueError, "non-empty"), ([0.0, np.nan], ValueError, "NaN"),
     (np.zeros((2, 2, 2)), ValueError, "shape"), ([object(), 1], TypeError, "objects"),
     (np.array(["a", "b"]).reshape(1, 2), ValueError, "2-D target")],
)  # fmt: skip
def test_bad_targets(y, error, match):
    with pytest.raises(error, match=match):
        ds.infer_task(y)


def test_class_limit():
    assert ds.check_n_classes(10) == 10
    assert ds.check_n_classes(5000, limit=None) == 5000
    with pytest.raises(ValueError, match=r"3,000 classes, more than the limit of 1,000"):
        ds.check_n_classes(3000)
