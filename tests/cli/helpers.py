"""Helpers shared by the test modules of tests/cli/: the command in a subprocess, its one-line
errors, and the files of its runs."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import numpy as np


def run(*args: str, cwd: Path | None = None, timeout: float = 120):
    """``python -m layerwise ARGS`` with stderr not a terminal (so no progress bar)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "MPLBACKEND")}
    return subprocess.run(
        [sys.executable, "-m", "layerwise", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=timeout,
    )


def png(path: Path, shape: tuple[int, int] | None = None) -> np.ndarray:
    import matplotlib.image as mpimg

    image = mpimg.imread(path)
    if shape is not None:
        assert image.shape[:2] == shape, path
    assert image.ndim == 3 and float(image[..., :3].std()) > 0.01, f"{path} is blank"
    return image


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def one_line_error(result, *needles: str) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


# ------------------------------------------------------------------------------ one vocabulary
def subparsers(parser) -> dict:
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}
