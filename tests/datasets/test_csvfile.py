"""layerwise.datasets._csvfile: load_csv, read_features and csv_header. Targets by name
or position, labels or values, the classes and their limit; a missing column or a bad target
cell refused with the line, the column and the fix. The reader of the rows, and its errors,
are tested in test_csvread.py.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from layerwise import datasets as ds
from tests.datasets.helpers import error_of, write


def test_csv_string_labels(tmp_path):
    path = write(tmp_path, "a,b,species\n1,2,setosa\n3,4.5,virginica\n\n5,6,setosa\n")
    X, y = ds.load_csv(path)
    np.testing.assert_array_equal(X, [[1, 2], [3, 4.5], [5, 6]])
    assert X.dtype == np.float64 and y.dtype == np.int64
    np.testing.assert_array_equal(y, [0, 1, 0])
    X, y, meta = ds.load_csv(str(path), return_info=True)
    assert meta == ds.CSVInfo(["a", "b"], "species", "binary", ["setosa", "virginica"])
    json.dumps(meta.__dict__)


def test_csv_target_by_name_numeric_labels_and_delimiter(tmp_path):
    path = write(tmp_path, "label;x1;x2\n3;0.5;1\n1;1.5;2\n2;2.5;3\n3;0;0\n")
    X, y, meta = ds.load_csv(path, "label", delimiter=";", return_info=True)
    np.testing.assert_array_equal(X, [[0.5, 1], [1.5, 2], [2.5, 3], [0, 0]])
    np.testing.assert_array_equal(y, [2, 0, 1, 2])
    assert meta.classes == [1, 2, 3] and meta.task == "multiclass"
    assert meta.feature_names == ["x1", "x2"]


def test_csv_regression_target(tmp_path):
    path = write(tmp_path, "x,y\n1,0.5\n2,1.25\n")
    X, y, meta = ds.load_csv(path, return_info=True)
    assert y.dtype == np.float64 and y.tolist() == [0.5, 1.25]
    assert meta.task == "regression" and meta.classes is None
    path = write(tmp_path, "x,y\n1,3\n2,4\n")
    _, y, meta = ds.load_csv(path, task="regression", return_info=True)
    assert y.dtype == np.float64 and meta.task == "regression"


def test_csv_error_missing_target_column(tmp_path):
    path = write(tmp_path, "a,b,y\n1,2,0\n")
    msg = error_of(path, target="label")
    assert str(path) in msg and "line 1" in msg and "'label'" in msg and "a, b, y" in msg


def test_csv_error_no_feature_column(tmp_path):
    msg = error_of(write(tmp_path, "y\n1\n"))
    assert "feature column" in msg


def test_csv_error_target_cells(tmp_path):
    msg = error_of(write(tmp_path, "a,y\n1,cat\n2, \n"))
    assert "line 3" in msg and "'y' (index 1)" in msg and "empty target" in msg
    msg = error_of(write(tmp_path, "a,y\n1,0.5\n2,cat\n"), task="regression")
    assert "line 3" in msg and "'y' (index 1)" in msg and "'cat'" in msg
    assert "task must be" in error_of(write(tmp_path, "a,y\n1,2\n"), task="other")


def test_csv_integer_target_with_many_values_is_a_regression(tmp_path):
    rng = np.random.default_rng(0)
    price = rng.integers(100, 5000, size=3000)
    x = rng.normal(size=3000).tolist()
    path = tmp_path / "p.csv"
    path.write_text("x,price\n" + "".join(f"{a!r},{p}\n" for a, p in zip(x, price, strict=True)))
    X, y, meta = ds.load_csv(path, return_info=True)
    assert meta.task == "regression" and y.dtype == np.float64
    np.testing.assert_array_equal(y, price)
    np.testing.assert_array_equal(X[:, 0], x)  # repr round-trips exactly
    msg = error_of(path, task="classification")
    assert "classes, more than the limit of 1,000" in msg and "regression" in msg
    _, y, meta = ds.load_csv(path, task="classification", max_classes=None, return_info=True)
    assert meta.classes == sorted(set(price.tolist())) and y.max() == len(meta.classes) - 1


def test_csv_text_target_with_too_many_labels(tmp_path):
    path = write(tmp_path, "x,id\n" + "".join(f"{i},user{i}\n" for i in range(30)))
    assert "more than 20 distinct values" in error_of(path, max_classes=20)
    assert "more than 20 distinct values" in error_of(
        write(tmp_path, "x,id\n" + "".join(f"{i},{i}\n" for i in range(30)) + "0,cat\n"),
        task="classification", max_classes=20,
    )  # fmt: skip


def test_read_features_and_csv_header(tmp_path):
    path = write(tmp_path, "a,label,b\n1,cat,2\n3,dog,4.5\n")
    assert ds.csv_header(path) == ["a", "label", "b"]
    np.testing.assert_array_equal(ds.read_features(path, ["b", "a"]), [[2, 1], [4.5, 3]])
    with pytest.raises(ValueError, match="no column 'c'"):
        ds.read_features(path, ["c"])
    with pytest.raises(ValueError, match=r"line 2, column 'label' \(index 1\): 'cat'"):
        ds.read_features(path, ["label"])


def test_nullable_pandas_integers_without_missing_values(tmp_path):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"a": pd.array([1, 2, 3, 4], dtype="Int64"), "y": [0, 1, 0, 1]})
    path = tmp_path / "nullable.csv"
    frame.to_csv(path, index=False)
    X, y = ds.load_csv(path)
    np.testing.assert_array_equal(X[:, 0], [1, 2, 3, 4])
    assert ds.infer_task(frame["a"]) == "multiclass"
