"""CSV files with a header row: :func:`load_csv`, :func:`read_features`, :func:`csv_header`.

The one CSV reader of the package. Rows are parsed one by one (the ``csv`` module) straight
into a float64 array that is sized from the file's length and grown in place, so reading
takes little more memory than the result (about 8 bytes a value); no list of rows is kept.
Numbers are what ``float`` reads in plain ASCII: ``1_000`` and digits of other scripts are
refused, as are NaN and infinity.
"""

from __future__ import annotations

import array
import contextlib
import csv
import math
import operator
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, overload

import numpy as np

from layerwise._internal.validation import check_allocation, check_range
from layerwise.datasets._common import Task
from layerwise.datasets._target import MAX_CLASSES, check_n_classes, numeric_task

_FIELD_LIMIT = csv.field_size_limit()  # 131,072 characters unless changed


@dataclass(frozen=True)
class CSVInfo:
    """Column and label information from :func:`load_csv` (JSON-able fields).

    Attributes
    ----------
    feature_names : list of str
        Names of the columns of ``X``, in order.
    target : str
        Name of the target column.
    task : {"binary", "multiclass", "regression"}
    classes : list of str, int or float, or None
        ``classes[i]`` is the original label encoded as ``i``; None for regression.
    """

    feature_names: list[str]
    target: str
    task: Task
    classes: list[Any] | None


def _number(cell: str) -> float | None:
    """``cell`` as a finite float, or None; plain ASCII only (no ``1_000``, no ``١٢``)."""
    try:
        value = float(cell)
    except ValueError:
        return None
    if not math.isfinite(value) or "_" in cell or not cell.isascii():
        return None
    return value


# ------------------------------------------------------------------------------ reading
@contextlib.contextmanager
def _rows(where: str, delimiter: str) -> Iterator[tuple[list[str], Iterator, Callable]]:
    """Open ``where``; yield (header, iterator of (line, row) of non-blank rows, a function
    giving the fraction of the file read so far). Errors name the file and the line."""
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        raise ValueError(f"delimiter must be one character, got {delimiter!r}")
    if not os.path.exists(where):
        raise FileNotFoundError(f"{where}: no such file")
    with open(where, newline="", encoding="utf-8-sig") as fh:
        size = os.fstat(fh.fileno()).st_size
        read = [0]

        def lines() -> Iterator[str]:
            for line in fh:
                read[0] += len(line)
                yield line

        stream = lines()
        with _csv_errors(where, None):  # a file that is not UTF-8 fails on its first line
            first = next(stream, "")
        if delimiter == "," and "," not in first:
            # a header with no comma but semicolons (a spreadsheet in a decimal-comma
            # locale writes them) or tabs: that is the file's delimiter
            delimiter = next((d for d in ";\t|" if d in first), delimiter)

        def chained() -> Iterator[str]:
            yield first
            yield from stream

        reader = csv.reader(chained(), delimiter=delimiter)
        with _csv_errors(where, reader):
            header = [h.strip() for h in next(reader, [])]

        def rows() -> Iterator[tuple[int, list[str]]]:
            with _csv_errors(where, reader):
                for row in reader:
                    if row and "".join(row).strip():
                        yield reader.line_num, row

        yield header, rows(), lambda: read[0] / size if size else 0.0


@contextlib.contextmanager
def _csv_errors(where: str, reader: Any) -> Iterator[None]:
    try:
        yield
    except UnicodeDecodeError as e:
        raise ValueError(f"{where}: not UTF-8 text ({e.reason}); save it as UTF-8") from None
    except csv.Error as e:
        line = reader.line_num
        if "field larger than field limit" in str(e):
            raise ValueError(
                f"{where}: line {line}: a field is longer than {_FIELD_LIMIT:,} characters; "
                "a quote left open swallows the lines after it: check the quoting and the "
                "delimiter"
            ) from None
        raise ValueError(f"{where}: line {line}: not valid CSV ({e})") from None


def _check_header(header: list[str], where: str) -> None:
    if not header:
        raise ValueError(f"{where}: line 1: the file is empty; a header row is required")
    if not any(header):
        raise ValueError(f"{where}: line 1: the header row is empty")
    seen: set[str] = set()
    for j, h in enumerate(header):
        if not h or h in seen:
            problem = "duplicate column name" if h else "empty column name"
            raise ValueError(f"{where}: line 1, column {h!r} (index {j}): {problem}")
        seen.add(h)


class _Columns:
    """A float64 array of rows, sized from the file's length and grown in place."""

    def __init__(self, n_columns: int, where: str) -> None:
        self.n_columns, self.where, self.n = n_columns, where, 0
        self.X = np.empty((max(16, min(1024, (1 << 20) // n_columns)), n_columns))
        self.checked = 0  # rows before this are known finite

    def reserve(self, fraction_read: float) -> None:
        """Make room for the next row; estimate the total from the part of the file read."""
        if self.n < len(self.X):
            return
        # growing in place (realloc) costs no copy of large arrays, so small steps are cheap
        estimate = int(self.n / fraction_read * 1.02) + 64 if fraction_read > 0 else 0
        capacity = max(estimate, int(len(self.X) * 1.0625) + 1024)
        check_allocation(capacity * self.n_columns, np.float64,
                         f"{self.where}: {capacity:,} rows of {self.n_columns} values")  # fmt: skip
        self.X.resize((capacity, self.n_columns), refcheck=False)  # realloc: no copy made

    def finish(self) -> np.ndarray:
        self.X.resize((self.n, self.n_columns), refcheck=False)
        return self.X


def _parse_features(
    rows: Iterator, header: list[str], cols: list[int], where: str, fraction: Callable,
    on_row: Callable[[int, list[str]], None] | None = None,
) -> np.ndarray:  # fmt: skip
    """The ``cols`` of every row as floats; ``on_row(line, row)`` sees each row first."""
    out = _Columns(len(cols), where)
    take = operator.itemgetter(*cols) if len(cols) > 1 else (lambda row: (row[cols[0]],))
    lines: list[int] = []
    for line, row in rows:
        if len(row) != len(header):
            _ragged(where, line, row, header)
        if on_row is not None:
            on_row(line, row)
        out.reserve(fraction())
        cells = take(row)
        try:
            out.X[out.n] = cells  # NumPy parses the strings in C
            plain = "".join(cells)
            if "_" in plain or not plain.isascii():
                raise ValueError
        except ValueError:
            _bad_cell(where, line, row, header, cols)
        lines.append(line)
        out.n += 1
        if len(lines) >= 4096:
            _check_finite(out, lines, header, cols)
    _check_finite(out, lines, header, cols)
    if not out.n:
        raise ValueError(f"{where}: line 2: no data rows after the header")
    return out.finish()


def _check_finite(out: _Columns, lines: list[int], header, cols) -> None:
    block = out.X[out.checked : out.n]
    if not np.isfinite(block).all():
        i, c = np.argwhere(~np.isfinite(block))[0]
        raise ValueError(
            f"{out.where}: line {lines[i]}, column {header[cols[c]]!r} (index {cols[c]}): "
            f"{str(float(block[i, c]))!r} is not a finite number"
        )
    out.checked = out.n
    lines.clear()


def _ragged(where: str, line: int, row: list[str], header: list[str]) -> None:
    j = min(len(row), len(header))
    if j < len(header):
        col = f"column {header[j]!r} (index {j}) missing"
    else:
        col = f"column index {j} beyond the last column {header[-1]!r}"
    raise ValueError(
        f"{where}: line {line}, {col}: ragged row with {len(row)} fields, "
        f"the header has {len(header)}"
    )


def _bad_cell(where: str, line: int, row: list[str], header: list[str], cols: list[int]):
    for j in cols:
        if _number(row[j]) is None:
            raise ValueError(
                f"{where}: line {line}, column {header[j]!r} (index {j}): "
                f"{row[j]!r} is not a finite number (plain digits, '.', 'e'; no '_')"
            )
    raise AssertionError("unreachable: a row that failed to parse has a bad cell")


# ------------------------------------------------------------------------------ public
def csv_header(path: str | os.PathLike[str], *, delimiter: str = ",") -> list[str]:
    """The column names of a CSV file (its first row, stripped).

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    ValueError
        The file is empty or not UTF-8.
    """
    where = os.fspath(path)
    with _rows(where, delimiter) as (header, _, _):
        if not header:
            raise ValueError(f"{where}: line 1: the file is empty; a header row is required")
    return header


def read_features(
    path: str | os.PathLike[str], columns: list[str], *, delimiter: str = ","
) -> np.ndarray:
    """The named columns of a CSV file as floats, for :meth:`Sequential.predict`.

    Parameters
    ----------
    path : str or path-like
    columns : list of str
        Column names, in the order the model takes them; other columns are ignored.
    delimiter : str, default ","

    Returns
    -------
    X : ndarray of shape (n_rows, len(columns)), float64

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    ValueError
        A column is missing, a row is ragged, or a cell of ``columns`` is not a finite
        number; the message names the file, the line and the column.
    """
    where = os.fspath(path)
    with _rows(where, delimiter) as (header, rows, fraction):
        for c in columns if columns else [None]:
            if header.count(c) != 1:  # only the columns used need clear names
                problem = "two columns named" if c in header else "no column"
                raise ValueError(f"{where}: line 1: {problem} {c!r}; columns: {', '.join(header)}")
        return _parse_features(rows, header, [header.index(c) for c in columns], where, fraction)


class _Target:
    """The target column as it is read: floats (NaN for text) and codes of distinct texts
    (dropped beyond ``limit`` distinct values, where only a regression remains possible)."""

    def __init__(self, t: int, limit: int | None, where: str, name: str) -> None:
        self.t, self.where, self.name = t, where, name
        self.limit = limit if limit is not None else math.inf
        self.values = array.array("d")  # 8 bytes a row, not a list of float objects
        self.codes = array.array("q")
        self.labels: dict[str, int] | None = {}
        self.first_text: tuple[int, str] | None = None

    def __call__(self, line: int, row: list[str]) -> None:
        cell = row[self.t].strip()
        if not cell:
            raise ValueError(
                f"{self.where}: line {line}, column {self.name!r} (index {self.t}): "
                "empty target cell"
            )
        value = _number(cell)
        if value is None:
            value = math.nan
            if self.first_text is None:
                self.first_text = (line, cell)
        self.values.append(value)
        if self.labels is not None:
            self.codes.append(self.labels.setdefault(cell, len(self.labels)))
            if len(self.labels) > self.limit:  # only a regression remains possible
                self.labels, self.codes = None, array.array("q")


@overload
def load_csv(
    path: str | os.PathLike[str],
    target: str | None = ...,
    *,
    delimiter: str = ...,
    task: Literal["auto", "classification", "regression"] = ...,
    max_classes: int | None = ...,
    return_info: Literal[False] = ...,
) -> tuple[np.ndarray, np.ndarray]: ...
@overload
def load_csv(
    path: str | os.PathLike[str],
    target: str | None = ...,
    *,
    delimiter: str = ...,
    task: Literal["auto", "classification", "regression"] = ...,
    max_classes: int | None = ...,
    return_info: Literal[True],
) -> tuple[np.ndarray, np.ndarray, CSVInfo]: ...
def load_csv(
    path: str | os.PathLike[str],
    target: str | None = None,
    *,
    delimiter: str = ",",
    task: Literal["auto", "classification", "regression"] = "auto",
    max_classes: int | None = MAX_CLASSES,
    return_info: bool = False,
) -> tuple[np.ndarray, np.ndarray] | tuple[np.ndarray, np.ndarray, CSVInfo]:
    """Read a CSV file with a header row into ``X, y``.

    Every column except ``target`` must hold finite numbers (plain ASCII: ``1_000`` and
    digits of other scripts are not numbers here). Blank lines are skipped. Errors name
    the file, the line (1-based, the header is line 1) and the column (name and 0-based
    index). Memory: the result (8 bytes a value) and little more; no copy of the rows.

    Parameters
    ----------
    path : str or path-like
    target : str, optional
        Name of the target column; default the last column.
    delimiter : str, default ","
    task : {"auto", "classification", "regression"}, default "auto"
        ``"auto"``: a target with any non-numeric cell is classification; a numeric one
        is what :func:`infer_task` says (fractional values, or integers with many
        distinct values such as a price: regression; few integers: classification).
        Classification labels are encoded ``0 .. k-1`` in sorted order.
    max_classes : int or None, default 1000
        A classification with more classes is refused (None: no limit).
    return_info : bool, default False
        Also return a :class:`CSVInfo` with the column names and classes.

    Returns
    -------
    X : ndarray of shape (n_rows, n_columns - 1), float64
    y : ndarray of shape (n_rows,)
        int64 codes for classification, float64 for regression.
    info : CSVInfo
        Only when ``return_info`` is True.

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    ValueError
        Empty file, no data rows, duplicate or missing column, ragged row, non-numeric
        or non-finite feature cell, empty target cell, a field over 128 KiB (an unclosed
        quote), more classes than ``max_classes``.
    """
    if task not in ("auto", "classification", "regression"):
        raise ValueError(f"task must be 'auto', 'classification' or 'regression', got {task!r}")
    if max_classes is not None:
        check_range(max_classes, "max_classes", 2, integer=True)
    where = os.fspath(path)
    with _rows(where, delimiter) as (header, rows, fraction):
        _check_header(header, where)
        target = header[-1] if target is None else target
        if target not in header:
            raise ValueError(
                f"{where}: line 1: target column {target!r} not found; columns: {', '.join(header)}"
            )
        if len(header) < 2:
            raise ValueError(
                f"{where}: line 1: need at least one feature column besides {target!r}"
            )
        t = header.index(target)
        features = [j for j in range(len(header)) if j != t]
        column = _Target(t, max_classes, where, target)
        X = _parse_features(rows, header, features, where, fraction, on_row=column)
    y, kind, classes = _encode_target(column, task, max_classes)
    if not return_info:
        return X, y
    return X, y, CSVInfo([header[j] for j in features], target, kind, classes)


def _encode_target(
    column: _Target, task: str, max_classes: int | None
) -> tuple[np.ndarray, Task, list[Any] | None]:
    values = np.frombuffer(column.values, dtype=np.float64).copy()
    numeric = column.first_text is None
    if task == "regression" and not numeric:
        line, cell = column.first_text  # type: ignore[misc]
        raise ValueError(
            f"{column.where}: line {line}, column {column.name!r} (index {column.t}): "
            f"{cell!r} is not a finite number (regression target)"
        )
    if task == "regression":
        return values, "regression", None
    found = np.unique(values) if numeric else None
    if task == "auto" and found is not None and numeric_task(found, len(values)) == "regression":
        return values, "regression", None
    what = f"{column.where}: target column {column.name!r}"
    if found is not None:
        check_n_classes(len(found), limit=max_classes, what=what)
        y = np.searchsorted(found, values)
        integral = bool(np.all(found == np.round(found)))
        classes: list[Any] = [int(c) if integral else float(c) for c in found]
    else:
        if column.labels is None:
            raise ValueError(
                f"{what} has text values and more than {max_classes:,} distinct values; "
                "a classifier of that many classes is refused: choose another target, or "
                "raise max_classes if you really mean it"
            )
        labels = column.labels
        classes = sorted(labels)
        rank = np.empty(len(classes), dtype=np.int64)
        rank[[labels[c] for c in classes]] = np.arange(len(classes))
        y = rank[np.frombuffer(column.codes, dtype=np.int64)]
    return y.astype(np.int64, copy=False), "binary" if len(classes) <= 2 else "multiclass", classes
