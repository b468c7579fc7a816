"""CSV files with a header row: :func:`load_csv`, :func:`read_features`, :func:`csv_header`.

The columns are read by :mod:`layerwise.datasets._csvread`, the one CSV reader of the
package; the target column is read beside them, as numbers and as text, and encoded here.
"""

from __future__ import annotations

import array
import math
import operator
import os
from dataclasses import dataclass
from typing import Any, Literal, overload

import numpy as np

from layerwise._internal.validation import check_range
from layerwise.datasets._common import Task
from layerwise.datasets._csvread import _check_header, _number, _parse_features, _rows
from layerwise.datasets._target import MAX_CLASSES, check_n_classes, numeric_task


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
            if operator.countOf(header, c) != 1:  # only the columns used need clear names
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
    if task == "regression" and column.first_text is not None:  # a text cell
        line, cell = column.first_text
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
