"""What the subcommands share: the one-line error, the parser, argument types, run folders
and small formatting helpers."""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import numpy as np

import layerwise as lw
from layerwise._internal.files import atomic_write

#: The defaults of one training run, the same for train, compare and sweep (tested).
DEFAULTS: dict[str, Any] = {"hidden": [16, 8], "activation": "tanh", "lr": 0.05, "epochs": 200}

_Number = TypeVar("_Number", int, float)


class CLIError(Exception):
    """A bad argument found after parsing: reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, not usage + message
        """Exit with status 2 after one line: the message, a "did you mean" and --help."""
        hint = self._did_you_mean(message)
        self.exit(2, f"{self.prog}: error: {message}{hint} (see {self.prog} --help)\n")

    def _options(self) -> list[str]:
        """Every option string of this parser and of its subcommands' parsers."""
        names = list(self._option_string_actions)
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    names += list(sub._option_string_actions)
        return names

    def _did_you_mean(self, message: str) -> str:
        """``; did you mean --epochs?`` for a misspelt option of ``unrecognized arguments``."""
        if not message.startswith("unrecognized arguments:"):
            return ""
        import difflib

        hints = []
        for word in message.split(":", 1)[1].split():
            if word.startswith("--"):
                close = difflib.get_close_matches(word.split("=")[0], self._options(), n=1)
                hints += [f"{word} -> {close[0]}"] if close else []
        return f"; did you mean {', '.join(hints)}?" if hints else ""


# ---------------------------------------------------------------------------- arg types
def _positive(kind: type[_Number], name: str) -> Callable[[str], _Number]:
    """An argparse type: a positive finite ``kind`` (int or float), the error naming the
    option ``name``."""

    def parse(text: str) -> _Number:
        value: _Number | None
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not value > 0 or not np.isfinite(value):
            what = "integer" if kind is int else "number"
            raise argparse.ArgumentTypeError(f"{name} must be a positive {what}, got {text!r}")
        return value

    return parse


def _fraction(name: str) -> Callable[[str], float]:
    """An argparse type: a number in [0, 1), the error naming the option ``name``."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = -1.0
        if not 0.0 <= value < 1.0:
            raise argparse.ArgumentTypeError(f"{name} must be in [0, 1), got {text!r}")
        return value

    return parse


def _existing_file(text: str) -> str:
    """An argparse type: the path of a file that exists (not a folder)."""
    if not os.path.exists(text):
        raise argparse.ArgumentTypeError(f"{text}: no such file")
    if os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"{text} is a folder; give a file")
    return text


def _choice(valid: list[str], name: str) -> Callable[[str], str]:
    """An argparse type: one of ``valid``, the error naming the option ``name``."""

    def parse(text: str) -> str:
        if text not in valid:
            raise argparse.ArgumentTypeError(
                f"{name} must be one of {', '.join(valid)}, got {text!r}"
            )
        return text

    return parse


# ---------------------------------------------------------------------------- run folders
def _verbose(args: argparse.Namespace) -> bool | str:
    return False if args.quiet else "auto"  # "auto": a bar only when stderr is a terminal


def _run_folder(out: Path | None, stem: str) -> Path:
    """``out``, created, or a new ``runs/<stem>-<time>`` folder when ``out`` is None."""
    if out is None:
        base = Path("runs") / f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}"
        out, k = base, 1
        while out.exists():
            k += 1
            out = base.with_name(f"{base.name}-{k}")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as exc:
        raise CLIError(f"cannot create the run folder {out}: a file is in the way") from exc
    return out


def _write_json(path: Path, obj: Any) -> None:
    with atomic_write(path) as f:
        json.dump(obj, f, indent=2, default=str)
        f.write("\n")


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    skip = {"func", "command", "debug", "data_option", "data_required", "argv", "deferral"}
    return {
        k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k not in skip
    }


def _final(history: lw.History) -> dict[str, float | None]:
    """The last loss, validation loss and accuracies of ``history`` (None where absent)."""

    def last(values: Sequence[float] | None) -> float | None:
        return float(values[-1]) if values else None

    return {
        "loss": last(history.loss),
        "val_loss": last(history.val_loss),
        "accuracy": last(history.metrics.get("accuracy")),
        "val_accuracy": last(history.metrics.get("val_accuracy")),
    }


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def _hidden_text(hidden: list[int]) -> str:
    return ",".join(map(str, hidden)) if hidden else "none"


def _markdown(rows: Sequence[Sequence[str]]) -> str:
    """``rows`` (the header first) as a Markdown table, each column as wide as its widest."""
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |" for r in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)
