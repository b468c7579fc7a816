"""layerwise.datasets._csvfile: load_csv, read_features and csv_header. Targets by name
or position, labels or values; every malformed file refused with the line, the column and
the fix; hostile and huge input (issue 13: NUL bytes, huge fields, memory bounded by the
file); numbers equal to Python's float.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

import layerwise as lw
from layerwise import cli
from layerwise import datasets as ds


def write(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


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


def error_of(path: Path, **kwargs) -> str:
    with pytest.raises(ValueError) as exc:
        ds.load_csv(path, **kwargs)
    return str(exc.value)


def test_csv_error_non_numeric_cell(tmp_path):
    path = write(tmp_path, "a,b,y\n1,2,0\n3,oops,1\n")
    msg = error_of(path)
    assert str(path) in msg and "line 3" in msg and "'b'" in msg and "index 1" in msg
    assert "'oops'" in msg


def test_csv_error_line_counts_blank_lines_and_quoted_newlines(tmp_path):
    path = write(tmp_path, 'a,b,y\n1,2,"x\ny"\n\n5,,1\n')
    msg = error_of(path)
    assert str(path) in msg and "line 5" in msg and "'b' (index 1)" in msg


def test_csv_error_non_finite_cell(tmp_path):
    msg = error_of(write(tmp_path, "a,b,y\n1,nan,0\n"))
    assert "line 2" in msg and "'b' (index 1)" in msg and "finite" in msg


def test_csv_error_ragged_row(tmp_path):
    path = write(tmp_path, "a,b,y\n1,2,0\n1,2\n")
    msg = error_of(path)
    assert str(path) in msg and "line 3" in msg and "'y' (index 2)" in msg
    assert "2 fields" in msg and "header has 3" in msg
    msg = error_of(write(tmp_path, "a,b,y\n1,2,0,9\n"))
    assert "line 2" in msg and "index 3" in msg and "'y'" in msg


def test_csv_error_missing_target_column(tmp_path):
    path = write(tmp_path, "a,b,y\n1,2,0\n")
    msg = error_of(path, target="label")
    assert str(path) in msg and "line 1" in msg and "'label'" in msg and "a, b, y" in msg


def test_csv_error_empty_file_and_header_only(tmp_path):
    path = write(tmp_path, "")
    msg = error_of(path)
    assert str(path) in msg and "line 1" in msg and "empty" in msg
    path = write(tmp_path, "a,b,y\n", "header.csv")
    msg = error_of(path)
    assert str(path) in msg and "line 2" in msg and "no data rows" in msg


def test_csv_error_header_problems(tmp_path):
    msg = error_of(write(tmp_path, "a,a,y\n1,2,3\n"))
    assert "line 1" in msg and "'a' (index 1)" in msg and "duplicate" in msg
    msg = error_of(write(tmp_path, "a,,y\n1,2,3\n"))
    assert "line 1" in msg and "index 1" in msg and "empty column name" in msg
    msg = error_of(write(tmp_path, "y\n1\n"))
    assert "feature column" in msg


def test_csv_error_target_cells(tmp_path):
    msg = error_of(write(tmp_path, "a,y\n1,cat\n2, \n"))
    assert "line 3" in msg and "'y' (index 1)" in msg and "empty target" in msg
    msg = error_of(write(tmp_path, "a,y\n1,0.5\n2,cat\n"), task="regression")
    assert "line 3" in msg and "'y' (index 1)" in msg and "'cat'" in msg
    assert "task must be" in error_of(write(tmp_path, "a,y\n1,2\n"), task="other")


def test_csv_missing_file(tmp_path):
    path = tmp_path / "nope.csv"
    with pytest.raises(FileNotFoundError, match=re.escape(str(path))):
        ds.load_csv(path)


@pytest.mark.parametrize("cell", ["1_000", "١٢", "１２", "1e5_0"])
def test_csv_plain_ascii_numbers_only(tmp_path, cell):
    assert float(cell)  # Python's float reads each of these
    path = write(tmp_path, f"a,y\n1,0\n{cell},1\n")
    msg = error_of(path)
    assert "line 3" in msg and repr(cell) in msg and "'a' (index 0)" in msg


def test_csv_field_over_the_limit_is_a_clear_error(tmp_path):
    path = write(tmp_path, 'a,y\n1,0\n"2,1\n' + "3,0\n" * 40_000)  # an unclosed quote
    msg = error_of(path)
    assert str(path) in msg and "longer than 131,072 characters" in msg and "quote" in msg


def test_csv_nul_byte_is_a_clear_error(tmp_path):
    path = write(tmp_path, "a,y\n1,0\n2\x00,1\n")
    assert "line 3" in error_of(path)


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


def test_csv_numbers_agree_with_float_over_many_rows(tmp_path):
    # more rows than the first guess of the array's size: it grows in place
    rng = np.random.default_rng(1)
    data = rng.normal(size=(5000, 3)) * 10.0 ** rng.integers(-5, 5, size=(5000, 3))
    path = tmp_path / "many.csv"
    path.write_text("a,b,c,y\n" + "".join(f"{a!r},{b!r},{c!r},{i % 3}\n" for i, (a, b, c)
                                          in enumerate(data.tolist())))  # fmt: skip
    X, y = ds.load_csv(path)
    np.testing.assert_array_equal(X, data)
    np.testing.assert_array_equal(y, np.arange(5000) % 3)


def test_csv_peak_memory_is_at_most_three_times_the_file(tmp_path):
    import tracemalloc

    rng = np.random.default_rng(2)
    rows = 40_000
    data = rng.normal(size=(rows, 8))
    path = tmp_path / "big.csv"
    with path.open("w") as f:
        f.write(",".join(f"x{j}" for j in range(8)) + ",y\n")
        for i, r in enumerate(data):
            f.write(",".join(map(repr, r.tolist())) + f",{i % 2}\n")
    size = path.stat().st_size
    tracemalloc.start()
    try:
        X, _ = ds.load_csv(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert X.shape == (rows, 8)
    assert peak <= 3 * size, f"peak {peak / size:.2f}x the file size"  # before: ~12x


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


def test_a_semicolon_or_tab_separated_csv_is_recognised(tmp_path):
    for sep in (";", "\t"):
        path = tmp_path / "semi.csv"
        path.write_text(sep.join(["a", "b", "label"]) + "\n" + "".join(
            sep.join([str(i), str(2 * i), "xy"[i % 2]]) + "\n" for i in range(6)))  # fmt: skip
        X, y, info = ds.load_csv(path, return_info=True)
        np.testing.assert_array_equal(X, [[i, 2 * i] for i in range(6)])
        assert info.feature_names == ["a", "b"] and info.classes == ["x", "y"]
        assert ds.csv_header(path) == ["a", "b", "label"]


def test_a_csv_that_is_not_utf8_gets_an_error_naming_the_file(tmp_path, capsys):
    # It used to be a bare "'utf-8' codec can't decode byte 0xe9 in position 13" that
    # named neither the file nor the fix.
    path = tmp_path / "latin1.csv"
    path.write_bytes("a,b,label\n1,2,caf\xe9\n3,4,th\xe9\n".encode("latin-1"))
    with pytest.raises(ValueError, match=r"latin1\.csv.*UTF-8"):
        lw.datasets.load_csv(path)
    lw.save(lw.mlp(2, [3], 1, seed=0), tmp_path / "m.npz")
    status = cli.main(["predict", str(tmp_path / "m.npz"), str(path)])
    err = capsys.readouterr().err.strip()
    assert status == 2 and len(err.splitlines()) == 1
    assert "latin1.csv" in err and "UTF-8" in err
