"""layerwise.datasets._csvread: the one CSV reader of the package. A file's header and rows
(the delimiter recognised, blank lines skipped, lines counted as the file has them), the
columns parsed into floats equal to Python's float, in an array grown in place (memory
bounded by the file); every malformed file refused with the file, the line, the column and
the fix (issue 13: NUL bytes, huge fields, text that is not UTF-8).
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import layerwise as lw
from layerwise import cli
from layerwise import datasets as ds
from tests.datasets.helpers import error_of, write


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


# ------------------------------------------------------------------------------ the reader
def test_rows_gives_the_stripped_header_and_each_row_with_its_last_line(tmp_path):
    from layerwise.datasets._csvread import _rows

    path = write(tmp_path, ' a , b\n1,2\n\n"x\ny",3\n')
    with _rows(str(path), ",") as (header, rows, fraction):
        assert header == ["a", "b"]
        # the blank line 3 is skipped; the quoted row spans lines 4 and 5
        assert list(rows) == [(2, ["1", "2"]), (5, ["x\ny", "3"])]
        assert fraction() == 1.0


def test_a_pipe_separated_csv_is_recognised(tmp_path):
    path = write(tmp_path, "a|b|y\n1|2.5|0\n3|4|1\n")
    X, y = ds.load_csv(path)
    np.testing.assert_array_equal(X, [[1, 2.5], [3, 4]])
    np.testing.assert_array_equal(y, [0, 1])
    assert ds.csv_header(path) == ["a", "b", "y"]


@pytest.mark.parametrize("delimiter", ["", ";;", 0])
def test_the_delimiter_must_be_one_character(tmp_path, delimiter):
    path = write(tmp_path, "a,y\n1,0\n")
    expected = f"delimiter must be one character, got {delimiter!r}"
    for read in (ds.load_csv, ds.csv_header):
        with pytest.raises(ValueError, match=f"^{re.escape(expected)}$"):
            read(path, delimiter=delimiter)


def test_a_header_of_empty_names_is_refused(tmp_path):
    path = write(tmp_path, ",,\n1,2,0\n")
    assert error_of(path) == f"{path}: line 1: the header row is empty"
