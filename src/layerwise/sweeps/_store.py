"""A sweep's folder: ``results.csv`` (a row per run, appended as runs finish),
``histories/<run id>.json`` and ``sweep.json`` (what data the sweep ran on).

A history is written (atomically) before its row, so a row on disk always has its
history; a row is one ``write`` of a whole line, flushed to disk, and a line cut short by a
crash is dropped on resume.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from layerwise._internal.files import atomic_write
from layerwise.sweeps._runs import METRICS, RESULT_COLUMNS

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


_FIX_LINE = "delete that line (its run is then run again) and resume"


def parse_row(raw: dict[str, str]) -> dict[str, Any]:
    """A row from its CSV cells; configuration values come from the ``config`` column.

    Raises ValueError (or KeyError, TypeError) for a row that is not one :func:`format_row`
    wrote: a missing or empty run id, a config that is not a JSON object, an unknown
    status, a number that does not parse."""
    if None in raw or not raw.get("run_id"):
        raise ValueError("wrong number of fields or no run id")
    config = json.loads(raw["config"])
    if not isinstance(config, dict):
        raise ValueError("the config column is not a JSON object")
    if raw.get("status") not in ("ok", "failed"):
        raise ValueError(f"status {raw.get('status')!r} is neither 'ok' nor 'failed'")
    row: dict[str, Any] = {"run_id": raw["run_id"], "config": config}
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
        """Lock and prepare the folder; return the rows already on disk (empty unless
        resuming). The lock is held until :meth:`close`."""
        if self.out.exists() and not self.out.is_dir():
            raise NotADirectoryError(f"out={str(self.out)!r} is a file; give a folder")
        self.out.mkdir(parents=True, exist_ok=True)
        self._lock()
        try:
            return self._open(resume, manifest)
        except BaseException:
            self.close()
            raise

    def _open(self, resume: bool, manifest: dict[str, Any]) -> list[dict[str, Any]]:
        if self.csv.exists() and not resume:
            raise FileExistsError(
                f"{self.csv} exists: pass resume=True (--resume) to continue that sweep, "
                "or give another out folder"
            )
        rows: list[dict[str, Any]] = []
        if resume and (self.manifest.exists() or self.csv.exists()):
            old = self.read_manifest()
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

    def _lock(self) -> None:
        """Hold an OS lock on the folder, so that two sweeps never share it: the second is
        refused at once (a lock dies with its process, so a killed sweep leaves none)."""
        self._lock_fd = None
        try:
            import fcntl
        except ImportError:  # Windows: no flock
            return
        path = self.out / ".lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise BlockingIOError(
                errno.EWOULDBLOCK,
                f"{self.out} is in use by another sweep (process {owner}); wait for it to "
                "finish, then resume, or give another out folder",
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._lock_fd = fd

    def close(self) -> None:
        """Release the folder's lock."""
        fd, self._lock_fd = getattr(self, "_lock_fd", None), None
        if fd is not None:
            os.close(fd)

    def read_manifest(self) -> dict[str, Any]:
        """``sweep.json``; a missing or corrupt one is a ValueError saying what to do."""
        fix = (
            "it records the data the finished runs were trained on: restore it, or move "
            f"{self.csv.name} away to start the sweep afresh"
        )
        if not self.manifest.exists():
            raise ValueError(f"{self.manifest} is missing next to {self.csv}; {fix}")
        try:
            old = json.loads(self.manifest.read_bytes().decode("utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(
                f"{self.manifest}: line {exc.lineno}: not valid JSON ({exc.msg}); {fix}"
            ) from None
        except (UnicodeDecodeError, OSError) as exc:
            raise ValueError(f"{self.manifest}: unreadable ({exc}); {fix}") from None
        if not isinstance(old, dict):
            raise ValueError(f"{self.manifest}: not a sweep's description (not an object); {fix}")
        return old

    def _read(self) -> list[dict[str, Any]]:
        rows, fieldnames, cut = self.read_rows()
        if fieldnames != self.header or cut:
            self._rewrite(rows)  # new grid keys (or a cut line): same rows, new header
        return rows

    def read_rows(self) -> tuple[list[dict[str, Any]], Sequence[str], bool]:
        """The rows of ``results.csv``, its header, and whether a crash cut its last line
        (that line is dropped); a bad line is a ValueError naming the file and the line."""
        try:
            text = self.csv.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            line = self.csv.read_bytes()[: exc.start].count(b"\n") + 1
            raise ValueError(f"{self.csv}: line {line}: not UTF-8 text; {_FIX_LINE}") from None
        cut = bool(text) and not text.endswith("\n")
        if cut:  # a crash cut the last row short
            text = text[: text.rfind("\n") + 1]
        reader = csv.DictReader(io.StringIO(text))
        try:
            if reader.fieldnames is None or "config" not in reader.fieldnames:
                raise ValueError(
                    f"{self.csv} is not a sweep's results file (no 'config' column); move it "
                    "away to start the sweep afresh, or give another out folder"
                )
            rows = []
            for raw in reader:
                try:
                    rows.append(parse_row(raw))
                except (ValueError, TypeError, KeyError, AttributeError) as exc:
                    raise ValueError(
                        f"{self.csv}: line {reader.line_num}: not a valid result row "
                        f"({type(exc).__name__}: {exc}); {_FIX_LINE}"
                    ) from None
        except csv.Error as exc:
            raise ValueError(f"{self.csv}: line {reader.line_num}: {exc}; {_FIX_LINE}") from None
        return rows, reader.fieldnames, cut

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
