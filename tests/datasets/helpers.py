"""Helpers shared by the test modules of tests/datasets/: a CSV file written from text, and
the message load_csv refuses it with."""

from __future__ import annotations

from pathlib import Path

import pytest

from layerwise import datasets as ds


def write(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path, **kwargs) -> str:
    with pytest.raises(ValueError) as exc:
        ds.load_csv(path, **kwargs)
    return str(exc.value)
