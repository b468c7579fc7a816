"""The one CSV reader of the package: a file's header and rows, and the columns wanted
parsed into floats.

Rows are parsed one by one (the ``csv`` module) straight into a float64 array that is sized
from the file's length and grown in place, so reading takes little more memory than the
result (about 8 bytes a value); no list of rows is kept. Numbers are what ``float`` reads in
plain ASCII: ``1_000`` and digits of other scripts are refused, as are NaN and infinity.
Errors name the file, the line and the column.
"""

from __future__ import annotations

import contextlib
import csv
import math
import operator
import os
from collections.abc import Callable, Iterator
from typing import Any, NoReturn

import numpy as np

from layerwise._internal.validation import check_allocation

_FIELD_LIMIT = csv.field_size_limit()  # 131,072 characters unless changed


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
def _rows(
    where: str, delimiter: str
) -> Iterator[tuple[list[str], Iterator[tuple[int, list[str]]], Callable[[], float]]]:
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
    rows: Iterator[tuple[int, list[str]]], header: list[str], cols: list[int], where: str,
    fraction: Callable[[], float],
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


def _check_finite(out: _Columns, lines: list[int], header: list[str], cols: list[int]) -> None:
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


def _bad_cell(
    where: str, line: int, row: list[str], header: list[str], cols: list[int]
) -> NoReturn:
    for j in cols:
        if _number(row[j]) is None:
            raise ValueError(
                f"{where}: line {line}, column {header[j]!r} (index {j}): "
                f"{row[j]!r} is not a finite number (plain digits, '.', 'e'; no '_')"
            )
    raise AssertionError("unreachable: a row that failed to parse has a bad cell")
