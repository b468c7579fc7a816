"""A sweep's folder: ``results.csv`` (a row per run, appended as runs finish),
``histories/<run id>.json`` and ``sweep.json`` (what data the sweep ran on).

A history is written (atomically) before its row, so a row on disk always has its
history; a row is one ``write`` of a whole line, flushed to disk, and a line cut short by a
crash is dropped on resume.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from layerwise._files import atomic_write
from layerwise.sweep._runs import METRICS, RESULT_COLUMNS

#: Errors of runs whose worker died: not the run's fault, so resume runs them again.
LOST = "worker lost"
_INT_COLUMNS = {"seed", "epochs_run"}
_FLOAT_COLUMNS = {*METRICS, "seconds"}


def columns(display_keys: Sequence[str]) -> list[str]:
    """The CSV header: id, the configuration's varying keys, seed, results, full config."""
    return ["run_id", *display_keys, "seed", *RESULT_COLUMNS, "config"]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)  # repr round-trips a float exactly
    if isinstance(value, list | dict):
        return json.dumps(value, sort_keys=True)
    return str(value)


def format_row(row: dict[str, Any], header: Sequence[str]) -> str:
    buf = io.StringIO()
    cells = [_cell(row["config"].get(k)) if k not in row else _cell(row[k]) for k in header]
    csv.writer(buf, lineterminator="\n").writerow(cells)
    return buf.getvalue()


def parse_row(raw: dict[str, str]) -> dict[str, Any]:
    """A row from its CSV cells; configuration values come from the ``config`` column."""
    row: dict[str, Any] = {"run_id": raw["run_id"], "config": json.loads(raw["config"])}
    for key in ("seed", *RESULT_COLUMNS):
        cell = raw.get(key, "")
        if cell == "":
            row[key] = None
        elif key in _INT_COLUMNS:
            row[key] = int(cell)
        elif key in _FLOAT_COLUMNS:
            row[key] = float(cell)
        else:
            row[key] = cell
    return row


def make_row(raw: dict[str, Any], config: dict[str, Any], keys: Sequence[str]) -> dict[str, Any]:
    """A table row in column order: id, settings, seed, results, complete config."""
    row: dict[str, Any] = {"run_id": raw["run_id"]}
    row.update({k: config.get(k) for k in keys})
    row["seed"] = raw["seed"]
    row.update({k: raw.get(k) for k in RESULT_COLUMNS})
    row["config"] = config
    return row


class Store:
    """Reads and appends a sweep's folder ``out``."""

    def __init__(self, out: str | os.PathLike, display_keys: Sequence[str]) -> None:
        self.out = Path(out)
        self.csv = self.out / "results.csv"
        self.histories = self.out / "histories"
        self.manifest = self.out / "sweep.json"
        self.header = columns(display_keys)

    def open(self, *, resume: bool, manifest: dict[str, Any]) -> list[dict[str, Any]]:
        """Prepare the folder; return the rows already on disk (empty unless resuming)."""
        if self.out.exists() and not self.out.is_dir():
            raise NotADirectoryError(f"out={str(self.out)!r} is a file; give a folder")
        if self.csv.exists() and not resume:
            raise FileExistsError(
                f"{self.csv} exists: pass resume=True (--resume) to continue that sweep, "
                "or give another out folder"
            )
        rows: list[dict[str, Any]] = []
        if resume and self.manifest.exists():
            old = json.loads(self.manifest.read_text())
            if old.get("data_sha256") != manifest["data_sha256"]:
                raise ValueError(
                    f"out={str(self.out)!r} holds a sweep on other data ({old.get('data')!r}, "
                    f"now {manifest['data']!r}); resume needs the same data, or give another out"
                )
        if resume and self.csv.exists():
            rows = self._read()
        self.histories.mkdir(parents=True, exist_ok=True)
        with atomic_write(self.manifest) as f:
            json.dump(manifest, f, indent=1, sort_keys=True)
        if not self.csv.exists():
            self._rewrite([])
        return rows

    def _read(self) -> list[dict[str, Any]]:
        text = self.csv.read_bytes().decode()
        cut = bool(text) and not text.endswith("\n")
        if cut:  # a crash cut the last row short
            text = text[: text.rfind("\n") + 1]
        reader = csv.DictReader(io.StringIO(text))
        if reader.fieldnames is None or "config" not in reader.fieldnames:
            raise ValueError(f"{self.csv} is not a sweep's results file (no 'config' column)")
        rows = [parse_row(raw) for raw in reader]
        if reader.fieldnames != self.header or cut:
            self._rewrite(rows)  # new grid keys (or a cut line): same rows, new header
        return rows

    def _rewrite(self, rows: Iterable[dict[str, Any]]) -> None:
        with atomic_write(self.csv, newline="") as f:
            csv.writer(f, lineterminator="\n").writerow(self.header)
            for row in rows:
                f.write(format_row(row, self.header))

    def history_path(self, rid: str) -> Path:
        return self.histories / f"{rid}.json"

    def read_history(self, rid: str) -> dict[str, Any] | None:
        """The saved history of run ``rid``, or None when missing or unreadable."""
        try:
            return json.loads(self.history_path(rid).read_text())["history"]
        except (OSError, ValueError, KeyError):
            return None

    def append(self, row: dict[str, Any], history: dict[str, Any]) -> None:
        """Write the run's history file, then its row."""
        record = {"run_id": row["run_id"], "seed": row["seed"], "config": row["config"]}
        with atomic_write(self.history_path(row["run_id"])) as f:
            json.dump({**record, "status": row["status"], "history": history}, f)
        with open(self.csv, "a", newline="") as f:
            f.write(format_row(row, self.header))
            f.flush()
            os.fsync(f.fileno())
