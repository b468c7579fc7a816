"""CSV files with a header row: :func:`load_csv` and :class:`CSVInfo`."""

from __future__ import annotations

import csv
import math
import os
from dataclasses import dataclass
from typing import Any, Literal, overload

import numpy as np

from layerwise.datasets._common import Task


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
    try:
        value = float(cell)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


@overload
def load_csv(
    path: str | os.PathLike[str],
    target: str | None = ...,
    *,
    delimiter: str = ...,
    task: Literal["auto", "classification", "regression"] = ...,
    return_info: Literal[False] = ...,
) -> tuple[np.ndarray, np.ndarray]: ...
@overload
def load_csv(
    path: str | os.PathLike[str],
    target: str | None = ...,
    *,
    delimiter: str = ...,
    task: Literal["auto", "classification", "regression"] = ...,
    return_info: Literal[True],
) -> tuple[np.ndarray, np.ndarray, CSVInfo]: ...
def load_csv(
    path: str | os.PathLike[str],
    target: str | None = None,
    *,
    delimiter: str = ",",
    task: Literal["auto", "classification", "regression"] = "auto",
    return_info: bool = False,
) -> tuple[np.ndarray, np.ndarray] | tuple[np.ndarray, np.ndarray, CSVInfo]:
    """Read a CSV file with a header row into ``X, y``.

    Every column except ``target`` must hold finite numbers. Blank lines are
    skipped. Errors name the file, the line (1-based, the header is line 1)
    and the column (name and 0-based index).

    Parameters
    ----------
    path : str or path-like
    target : str, optional
        Name of the target column; default the last column.
    delimiter : str, default ","
    task : {"auto", "classification", "regression"}, default "auto"
        ``"auto"``: a target with any non-numeric cell, or only integer
        values, is classification; other numeric targets are regression.
        Classification labels are encoded ``0 .. k-1`` in sorted order.
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
        Empty file, no data rows, duplicate or missing column, ragged row,
        non-numeric or non-finite feature cell, empty target cell.
    """
    if task not in ("auto", "classification", "regression"):
        raise ValueError(f"task must be 'auto', 'classification' or 'regression', got {task!r}")
    where = os.fspath(path)
    if not os.path.exists(where):
        raise FileNotFoundError(f"{where}: no such file")
    try:
        with open(where, newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh, delimiter=delimiter)
            header = next(reader, None)
            if header is None:
                raise ValueError(f"{where}: line 1: the file is empty; a header row is required")
            header = [h.strip() for h in header]
            if not any(header):
                raise ValueError(f"{where}: line 1: the header row is empty")
            rows = [(reader.line_num, row) for row in reader if any(c.strip() for c in row)]
    except UnicodeDecodeError as e:
        raise ValueError(f"{where}: not UTF-8 text ({e.reason}); save it as UTF-8") from None
    for j, h in enumerate(header):
        if not h or header.index(h) != j:
            problem = "duplicate column name" if h else "empty column name"
            raise ValueError(f"{where}: line 1, column {h!r} (index {j}): {problem}")
    if target is None:
        target = header[-1]
    if target not in header:
        raise ValueError(
            f"{where}: line 1: target column {target!r} not found; columns: {', '.join(header)}"
        )
    t = header.index(target)
    if len(header) < 2:
        raise ValueError(f"{where}: line 1: need at least one feature column besides {target!r}")
    if not rows:
        raise ValueError(f"{where}: line 2: no data rows after the header")
    features = [j for j in range(len(header)) if j != t]
    X = np.empty((len(rows), len(features)), dtype=np.float64)
    raw: list[str] = []
    for i, (line, row) in enumerate(rows):
        if len(row) != len(header):
            j = min(len(row), len(header))
            if j < len(header):
                col = f"column {header[j]!r} (index {j}) missing"
            else:
                col = f"column index {j} beyond the last column {header[-1]!r}"
            raise ValueError(
                f"{where}: line {line}, {col}: ragged row with {len(row)} fields, "
                f"the header has {len(header)}"
            )
        for c, j in enumerate(features):
            value = _number(row[j])
            if value is None:
                raise ValueError(
                    f"{where}: line {line}, column {header[j]!r} (index {j}): "
                    f"{row[j]!r} is not a finite number"
                )
            X[i, c] = value
        cell = row[t].strip()
        if not cell:
            raise ValueError(
                f"{where}: line {line}, column {target!r} (index {t}): empty target cell"
            )
        raw.append(cell)
    y, kind, classes = _encode_target(raw, task, where, [line for line, _ in rows], target, t)
    if not return_info:
        return X, y
    return X, y, CSVInfo([header[j] for j in features], target, kind, classes)


def _encode_target(
    raw: list[str], task: str, where: str, lines: list[int], target: str, t: int
) -> tuple[np.ndarray, Task, list[Any] | None]:
    values = [_number(c) for c in raw]
    numbers = [v for v in values if v is not None]
    numeric = len(numbers) == len(values)
    integral = numeric and all(v % 1 == 0 for v in numbers)
    if task == "regression" or (task == "auto" and numeric and not integral):
        for line, cell, v in zip(lines, raw, values, strict=True):
            if v is None:
                raise ValueError(
                    f"{where}: line {line}, column {target!r} (index {t}): "
                    f"{cell!r} is not a finite number (regression target)"
                )
        return np.asarray(values, dtype=np.float64), "regression", None
    keys: list[Any] = raw
    if numeric:
        keys = [int(v) for v in numbers] if integral else numbers
    classes = sorted(set(keys))
    code = {c: i for i, c in enumerate(classes)}
    y = np.fromiter((code[k] for k in keys), dtype=np.int64, count=len(keys))
    return y, "binary" if len(classes) <= 2 else "multiclass", classes
